/**
 * What the page keeps in localStorage: the random sender id, the transcript (so a reload restores
 * the conversation), the display preferences and the unsent draft. Every function takes the store
 * (localStorage or a stand-in) so it can be tested without a browser.
 */

export const KEYS = {
  sender: 'reissue-chat:sender',
  transcript: 'reissue-chat:transcript:v1',
  prefs: 'reissue-chat:prefs',
  draft: 'reissue-chat:draft',
};
export const MAX_MESSAGES = 200;
/** A transcript untouched for this long is dropped (shared computers in a service hall). */
export const TRANSCRIPT_TTL_MS = 24 * 60 * 60 * 1000;

/** Read and parse JSON from the store, or return `fallback`. */
function readJson(store, key, fallback) {
  try {
    const raw = store.getItem(key);
    return raw == null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

/** Write JSON to the store, ignoring quota or privacy-mode errors. */
function writeJson(store, key, value) {
  try {
    store.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: the chat still works, it just won't survive a reload */
  }
}

/** A new random sender id: `web-` and 24 hex digits. */
export function newSenderId(randomBytes = (n) => crypto.getRandomValues(new Uint8Array(n))) {
  const hex = Array.from(randomBytes(12), (b) => b.toString(16).padStart(2, '0')).join('');
  return `web-${hex}`;
}

/** The stored sender id, creating and storing a new one the first time. */
export function getSenderId(store, makeId = newSenderId) {
  let id = null;
  try {
    id = store.getItem(KEYS.sender);
  } catch {
    id = null;
  }
  if (typeof id === 'string' && /^web-[0-9a-f]{24}$/.test(id)) return id;
  id = makeId();
  try {
    store.setItem(KEYS.sender, id);
  } catch {
    /* ignore */
  }
  return id;
}

/** True when `m` looks like a message this page wrote. */
function isMessage(m) {
  return (
    m && typeof m === 'object' && typeof m._id === 'string' && typeof m.type === 'string' && typeof m.content === 'object'
  );
}

/** Cards caught mid-request by a reload come back usable instead of stuck. */
function settle(message) {
  const state = message.content && message.content.state;
  if (message.type === 'photo_upload' && state === 'uploading') {
    return { ...message, content: { ...message.content, state: 'idle' } };
  }
  if (message.type === 'rating' && state === 'sending') {
    return { ...message, content: { ...message.content, state: 'open' } };
  }
  if (message.type === 'text' && message.content.pending) {
    return { ...message, content: { ...message.content, pending: false, failed: true } };
  }
  return message;
}

/** The saved transcript, or [] when missing, malformed or older than the TTL. */
export function loadTranscript(store, now = Date.now()) {
  const saved = readJson(store, KEYS.transcript, null);
  if (!saved || !Array.isArray(saved.messages) || typeof saved.savedAt !== 'number') return [];
  if (now - saved.savedAt > TRANSCRIPT_TTL_MS) {
    clearConversation(store);
    return [];
  }
  return saved.messages.filter(isMessage).map(settle);
}

/** Save the last MAX_MESSAGES messages with the time of saving. */
export function saveTranscript(store, messages, now = Date.now()) {
  writeJson(store, KEYS.transcript, { savedAt: now, messages: messages.slice(-MAX_MESSAGES) });
}

/** Display preferences: `{elder: boolean}`. */
export function loadPrefs(store) {
  const prefs = readJson(store, KEYS.prefs, {});
  return { elder: Boolean(prefs && prefs.elder) };
}

/** Save display preferences. */
export function savePrefs(store, prefs) {
  writeJson(store, KEYS.prefs, { elder: Boolean(prefs.elder) });
}

/** The text typed but not yet sent. */
export function loadDraft(store) {
  const draft = readJson(store, KEYS.draft, '');
  return typeof draft === 'string' ? draft : '';
}

/** Remember (or, when empty, forget) the text typed but not yet sent. */
export function saveDraft(store, text) {
  if (text) writeJson(store, KEYS.draft, text);
  else {
    try {
      store.removeItem(KEYS.draft);
    } catch {
      /* ignore */
    }
  }
}

/** Forget the conversation: transcript, draft and sender id (a new conversation starts). */
export function clearConversation(store) {
  for (const key of [KEYS.transcript, KEYS.draft, KEYS.sender]) {
    try {
      store.removeItem(key);
    } catch {
      /* ignore */
    }
  }
}
