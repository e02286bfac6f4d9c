/** Unit tests for the localStorage helpers (run with `npm test`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KEYS,
  MAX_MESSAGES,
  TRANSCRIPT_TTL_MS,
  clearConversation,
  getSenderId,
  loadDraft,
  loadPrefs,
  loadTranscript,
  newSenderId,
  saveDraft,
  savePrefs,
  saveTranscript,
} from '../storage.js';

/** A Map-backed stand-in for localStorage. */
function memoryStore() {
  const map = new Map();
  return {
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
    map,
  };
}

const msg = (id, extra = {}) => ({ _id: id, type: 'text', position: 'left', content: { text: id }, ...extra });

test('sender id is random-looking, stored and reused', () => {
  const store = memoryStore();
  const id = getSenderId(store);
  assert.match(id, /^web-[0-9a-f]{24}$/);
  assert.equal(getSenderId(store), id);
  assert.notEqual(newSenderId(), newSenderId());
});

test('a tampered sender id is replaced', () => {
  const store = memoryStore();
  store.setItem(KEYS.sender, '<script>');
  assert.match(getSenderId(store), /^web-[0-9a-f]{24}$/);
});

test('transcript round-trips and is capped', () => {
  const store = memoryStore();
  const many = Array.from({ length: MAX_MESSAGES + 5 }, (_, i) => msg(`m${i}`));
  saveTranscript(store, many, 1000);
  const back = loadTranscript(store, 2000);
  assert.equal(back.length, MAX_MESSAGES);
  assert.equal(back[0]._id, 'm5');
});

test('an old transcript is dropped with the sender id', () => {
  const store = memoryStore();
  getSenderId(store);
  saveTranscript(store, [msg('a')], 0);
  assert.deepEqual(loadTranscript(store, TRANSCRIPT_TTL_MS + 1), []);
  assert.equal(store.getItem(KEYS.sender), null);
});

test('malformed storage gives an empty transcript', () => {
  const store = memoryStore();
  store.setItem(KEYS.transcript, '{not json');
  assert.deepEqual(loadTranscript(store), []);
  store.setItem(KEYS.transcript, JSON.stringify({ savedAt: Date.now(), messages: [1, null, msg('ok')] }));
  assert.deepEqual(loadTranscript(store).map((m) => m._id), ['ok']);
});

test('cards interrupted by a reload come back usable', () => {
  const store = memoryStore();
  saveTranscript(store, [
    { _id: 'p', type: 'photo_upload', content: { state: 'uploading' } },
    { _id: 'r', type: 'rating', content: { state: 'sending' } },
    { _id: 't', type: 'text', position: 'right', content: { text: '在吗', pending: true } },
  ]);
  const [p, r, t] = loadTranscript(store);
  assert.equal(p.content.state, 'idle');
  assert.equal(r.content.state, 'open');
  assert.equal(t.content.failed, true);
});

test('prefs and draft persist; clearing forgets the conversation but not prefs', () => {
  const store = memoryStore();
  savePrefs(store, { elder: true });
  saveDraft(store, '我想补办');
  assert.deepEqual(loadPrefs(store), { elder: true });
  assert.equal(loadDraft(store), '我想补办');
  saveDraft(store, '');
  assert.equal(loadDraft(store), '');
  saveTranscript(store, [msg('a')]);
  clearConversation(store);
  assert.deepEqual(loadTranscript(store), []);
  assert.deepEqual(loadPrefs(store), { elder: true });
});

test('a full store does not break saving', () => {
  const store = { getItem: () => null, setItem: () => { throw new Error('QuotaExceeded'); }, removeItem: () => {} };
  assert.doesNotThrow(() => saveTranscript(store, [msg('a')]));
  assert.match(getSenderId(store), /^web-/);
});
