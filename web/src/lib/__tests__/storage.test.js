/** Unit tests for the browser-storage helpers (run with `npm test`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KEYS,
  MAX_MESSAGES,
  MODE_KEY,
  TRANSCRIPT_TTL_MS,
  clearConversation,
  forgetAll,
  getSenderId,
  isStale,
  loadCareMode,
  loadDraft,
  loadPrefs,
  loadTranscript,
  newSenderId,
  redactTranscript,
  saveCareMode,
  saveDraft,
  savePrefs,
  saveTranscript,
} from '../storage.js';

/** A Map-backed stand-in for sessionStorage. */
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

const ID = '11010519900307002X';
const PHONE = '13912345678';
const NAME_QUESTION = { _id: 'q', type: 'text', position: 'left', content: { text: '请告诉我持证人的姓名（与身份证一致）。' } };
const typed = (id, text) => ({ _id: id, type: 'text', position: 'right', content: { text, payload: text, typed: true } });

test('what is stored has ID and phone numbers masked; the messages on screen are untouched', () => {
  const store = memoryStore();
  const messages = [
    typed('u', `我的身份证号${ID}，手机${PHONE}`),
    { _id: 'b', type: 'text', position: 'left', content: { text: `好的，手机${PHONE}`, buttons: [{ title: '对', payload: PHONE }] } },
    { _id: 'r', type: 'rating', position: 'left', content: { state: 'done', rating: 4, comment: `请打${PHONE}` } },
  ];
  saveTranscript(store, messages);
  const raw = store.getItem(KEYS.transcript);
  assert.ok(!raw.includes(ID) && !raw.includes(PHONE), raw);
  assert.ok(raw.includes('110105********002X') && raw.includes('139****5678'), raw);
  assert.equal(messages[0].content.text, `我的身份证号${ID}，手机${PHONE}`);
  const [u, b] = loadTranscript(store);
  assert.equal(u.content.text, '我的身份证号110105********002X，手机139****5678');
  assert.equal(u.content.redacted, true);
  assert.equal(b.content.buttons[0].title, '对');
});

test('a name typed after the name question is stored masked; other answers are not', () => {
  const stored = redactTranscript([
    NAME_QUESTION,
    typed('n', '王五'),
    { _id: 'a', type: 'text', position: 'left', content: { text: '补办需要姓名、身份证号和证书管理号。' } },
    typed('f', '要多久'),
    NAME_QUESTION,
    typed('j', '我叫欧阳娜娜'),
    { _id: 'k', type: 'text', position: 'right', content: { text: '不清楚', payload: '不清楚' } },
  ]);
  assert.deepEqual(stored.map((m) => m.content.text), [NAME_QUESTION.content.text, '王*', stored[2].content.text, '要多久', NAME_QUESTION.content.text, '我叫欧***', '不清楚']);
  assert.equal(stored[1].content.payload, '王*');
});

test('a name given as a correction is stored masked', () => {
  const [stored] = redactTranscript([typed('c', '姓名改成李四四')]);
  assert.equal(stored.content.text, '姓名改成李**');
  const [question] = redactTranscript([typed('w', '姓名是什么意思')]);
  assert.equal(question.content.text, '姓名是什么意思');
});

test('a masked message that failed to send comes back without its payload', () => {
  const store = memoryStore();
  saveTranscript(store, [{ ...typed('t', ID), content: { ...typed('t', ID).content, pending: true } }]);
  const [t] = loadTranscript(store);
  assert.equal(t.content.failed, true);
  assert.equal(t.content.redacted, true);
  assert.equal(t.content.text, '110105********002X');
});

test('a draft with personal data is not kept', () => {
  const store = memoryStore();
  saveDraft(store, `手机${PHONE}`);
  assert.equal(loadDraft(store), '');
  assert.equal(store.getItem(KEYS.draft), null);
  saveDraft(store, '王五', [NAME_QUESTION]);
  assert.equal(loadDraft(store), '');
  saveDraft(store, '要多久', []);
  assert.equal(loadDraft(store), '要多久');
});

test('a conversation left alone for 30 minutes is stale', () => {
  assert.ok(TRANSCRIPT_TTL_MS <= 30 * 60 * 1000);
  assert.equal(isStale(0, TRANSCRIPT_TTL_MS), false);
  assert.equal(isStale(0, TRANSCRIPT_TTL_MS + 1), true);
  const store = memoryStore();
  saveTranscript(store, [msg('a')], 0);
  assert.deepEqual(loadTranscript(store, 31 * 60 * 1000), []);
});

test('forgetAll removes everything the page ever stored, prefs included', () => {
  const store = memoryStore();
  getSenderId(store);
  savePrefs(store, { elder: true });
  saveDraft(store, '你好');
  saveTranscript(store, [msg('a')]);
  store.setItem('other-site-key', 'kept');
  forgetAll(store);
  assert.deepEqual([...store.map.keys()], ['other-site-key']);
});

test('长辈版 is remembered as the one word "care" and forgotten when switched off', () => {
  const store = memoryStore();
  assert.equal(loadCareMode(store), false);
  saveCareMode(store, true);
  assert.deepEqual([...store.map.entries()], [[MODE_KEY, 'care']]);
  assert.equal(loadCareMode(store), true);
  forgetAll(store);
  assert.equal(loadCareMode(store), true, 'forgetAll clears conversations, not the display mode');
  saveCareMode(store, false);
  assert.equal(store.map.size, 0);
  assert.equal(loadCareMode(store), false);
});

test('a broken store leaves the standard mode', () => {
  const broken = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('denied'); }, removeItem() {} };
  assert.equal(loadCareMode(broken), false);
  assert.doesNotThrow(() => saveCareMode(broken, true));
});
