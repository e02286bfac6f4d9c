/**
 * What the page keeps in the browser (sessionStorage: one tab, gone when it is closed): the random
 * sender id, the transcript (so a reload restores the conversation) with ID numbers, phone numbers and
 * typed names masked, the display preferences and an unsent draft that holds no personal data. The one thing
 * kept across visits (localStorage) is the display mode, and only while 长辈版 is on: `care`, nothing else.
 * Every function takes the store (sessionStorage, localStorage or a stand-in) so it can be tested without a browser.
 */
import { maskName, scrub } from './masking.js';

export const KEYS = {
  sender: 'reissue-chat:sender',
  transcript: 'reissue-chat:transcript:v1',
  prefs: 'reissue-chat:prefs',
  draft: 'reissue-chat:draft',
};
/** The localStorage key of the display mode (never in KEYS: forgetAll leaves it). */
export const MODE_KEY = 'reissue-chat:mode';
export const CARE_MODE = 'care';
export const MAX_MESSAGES = 200;
/** A conversation untouched for this long is forgotten (the next visitor at a service-hall computer). */
export const TRANSCRIPT_TTL_MS = 30 * 60 * 1000;

// The bot asking for the holder's name ("请告诉我持证人的姓名", "姓名至少两个字…").
const NAME_QUESTION = /(?:告诉我|输入|写|提供)[^。？！，\n]{0,8}姓名|^姓名/;
const NAME = '[\\u3400-\\u9fff]+(?:[·•・‧･∙⋅][\\u3400-\\u9fff]+)*';
// An answer to the name question: "王五", "我叫王五", "姓名是王五".
const NAME_ANSWER = new RegExp(`^(我叫|我是|叫|是|姓名是|名字是)?(${NAME})$`);
// A name given as a correction: "姓名改成李四".
const NAME_CORRECTION = new RegExp(`((?:姓名|名字)(?:改成|改为|应该是|应为)\\s*)(${NAME})`, 'g');
const DIGIT = /[0-9０-９]/;

/** True when `m` is the bot's text message. */
function isBotText(m) {
  return m && m.type === 'text' && m.position === 'left' && m.content && typeof m.content.text === 'string';
}

/** The user's typed `text` with any name masked, given the bot's last `question`. */
function maskTypedNames(text, question) {
  const corrected = text.replace(NAME_CORRECTION, (_, lead, name) => lead + maskName(name));
  const answer = NAME_QUESTION.test(question) ? corrected.trim().match(NAME_ANSWER) : null;
  return answer ? (answer[1] || '') + maskName(answer[2]) : corrected;
}

/** Every string inside `value` with ID and phone numbers masked. */
function scrubAll(value) {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map(scrubAll);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubAll(item)]));
  }
  return value;
}

/** The form of `message` that may be stored; `redacted` marks one whose words were masked. */
function redactMessage(message, question) {
  if (!message || typeof message !== 'object' || !message.content || typeof message.content !== 'object') return message;
  const content = scrubAll(message.content);
  if (message.type === 'text' && content.typed) {
    for (const key of ['text', 'payload']) {
      if (typeof content[key] === 'string') content[key] = maskTypedNames(content[key], question);
    }
  }
  if (JSON.stringify(content) !== JSON.stringify(message.content)) content.redacted = true;
  return { ...message, content };
}

/** The transcript as it may be stored: ID and phone numbers masked everywhere, names the user typed too. */
export function redactTranscript(messages) {
  let question = '';
  return messages.map((message) => {
    const stored = redactMessage(message, question);
    if (isBotText(message)) question = message.content.text;
    return stored;
  });
}

/** True when a conversation last touched at `at` is too old to keep at `now`. */
export function isStale(at, now = Date.now()) {
  return now - at > TRANSCRIPT_TTL_MS;
}

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
  if (isStale(saved.savedAt, now)) {
    clearConversation(store);
    return [];
  }
  return saved.messages.filter(isMessage).map(settle);
}

/** Save the last MAX_MESSAGES messages, masked, with the time of saving. */
export function saveTranscript(store, messages, now = Date.now()) {
  writeJson(store, KEYS.transcript, { savedAt: now, messages: redactTranscript(messages).slice(-MAX_MESSAGES) });
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

/** True when the visitor chose 长辈版 on an earlier visit (`store`: localStorage). */
export function loadCareMode(store) {
  try {
    return store.getItem(MODE_KEY) === CARE_MODE;
  } catch {
    return false;
  }
}

/** Remember 长辈版 for the next visit, or forget the key when the standard mode is chosen. */
export function saveCareMode(store, care) {
  try {
    if (care) store.setItem(MODE_KEY, CARE_MODE);
    else store.removeItem(MODE_KEY);
  } catch {
    /* storage disabled: the mode lasts for this visit only */
  }
}

/** The text typed but not yet sent. */
export function loadDraft(store) {
  const draft = readJson(store, KEYS.draft, '');
  return typeof draft === 'string' ? draft : '';
}

/** True when a draft may be kept: no digits at all (no partial numbers) and not an answer to the name question. */
function isHarmlessDraft(text, messages) {
  const question = [...messages].reverse().find(isBotText);
  return !DIGIT.test(text) && maskTypedNames(text, question ? question.content.text : '') === text;
}

/** Remember the text typed but not yet sent, or forget it when empty or personal (`messages`: the transcript). */
export function saveDraft(store, text, messages = []) {
  if (text && isHarmlessDraft(text, messages)) writeJson(store, KEYS.draft, text);
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

/** Forget everything the page ever stored here, preferences included (used on what older versions left). */
export function forgetAll(store) {
  for (const key of Object.values(KEYS)) {
    try {
      store.removeItem(key);
    } catch {
      /* ignore */
    }
  }
}
