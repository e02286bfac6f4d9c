import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  answerCallback,
  CALLBACK_KEY,
  callbackAfter,
  callbackFrom,
  callbackMessages,
  callbackOpen,
  ENDED,
  fetchUpdates,
  handoffFrom,
  HANDOFF_KEY,
  lastMessageId,
  loadCallback,
  loadHandoff,
  saveCallback,
  saveHandoff,
  sendToPerson,
  updateMessages,
} from '../handoff.js';

/** A sessionStorage stand-in. */
function memoryStore() {
  const data = new Map();
  return {
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => data.set(k, String(v)),
    removeItem: (k) => data.delete(k),
  };
}

test('a handoff reply opens a handoff; anything else does not', () => {
  const replies = [{ text: '正在为您转接' }, { custom: { type: 'handoff', handoff_id: 4, token: 'secret-token' } }];
  assert.deepEqual(handoffFrom(replies), { id: 4, token: 'secret-token', after: 0 });
  assert.equal(handoffFrom([{ custom: { type: 'handoff', handoff_id: '4', token: 'x' } }]), null);
  assert.equal(handoffFrom([{ custom: { type: 'rating' } }]), null);
  assert.equal(handoffFrom(null), null);
});

test('the handoff survives a reload and is forgotten on request', () => {
  const store = memoryStore();
  saveHandoff(store, { id: 2, token: 'abc', after: 5 });
  assert.deepEqual(loadHandoff(store), { id: 2, token: 'abc', after: 5 });
  saveHandoff(store, null);
  assert.equal(loadHandoff(store), null);
  store.setItem(HANDOFF_KEY, '{not json');
  assert.equal(loadHandoff(store), null);
});

test('messages and polls carry the token and the last id seen', async () => {
  const seen = [];
  const fetchFn = async (url, init) => {
    seen.push({ url, body: JSON.parse(init.body), method: init.method });
    return { ok: true, status: 200, json: async () => ({ status: 'taken', ahead: 0, messages: [] }) };
  };
  const handoff = { id: 9, token: 'tok', after: 3 };
  await sendToPerson('http://b:8000/', handoff, '您好', { fetchFn });
  await fetchUpdates('http://b:8000', handoff, { fetchFn });
  assert.deepEqual(seen, [
    { url: 'http://b:8000/api/v1/handoffs/9/user-messages', body: { token: 'tok', text: '您好' }, method: 'POST' },
    { url: 'http://b:8000/api/v1/handoffs/9/updates', body: { token: 'tok', after: 3 }, method: 'POST' },
  ]);
  await assert.rejects(fetchUpdates('http://b', handoff, { fetchFn: async () => ({ ok: false, status: 404 }) }),
    (err) => err.status === 404);
  await assert.rejects(fetchUpdates('http://b', handoff, { fetchFn: async () => { throw new Error('down'); } }));
});

test('staff replies become bubbles, system words notices, and the ended states are known', () => {
  const updates = { status: 'released', messages: [
    { id: 7, author: 'staff', text: '您好' }, { id: 8, author: 'system', text: '已交回' }, { id: 9, author: 'staff', text: ' ' }] };
  assert.deepEqual(updateMessages(updates), [
    { type: 'text', position: 'left', content: { text: '您好', author: 'staff' } },
    { type: 'notice', position: 'center', content: { text: '已交回' } },
  ]);
  assert.equal(lastMessageId(updates, 2), 9);
  assert.equal(lastMessageId({ messages: [] }, 2), 2);
  assert.deepEqual(ENDED, ['released', 'closed', 'expired']);
});

test('a callback offer comes from a reply or from an expired handoff, and survives a reload', () => {
  const replies = [{ text: '现在不是人工在线服务时间' }, { custom: { type: 'callback', callback_id: 3, token: 'cb-secret' } }];
  assert.deepEqual(callbackFrom(replies), { id: 3, token: 'cb-secret' });
  assert.equal(callbackFrom([{ custom: { type: 'callback', callback_id: 3 } }]), null);
  assert.equal(callbackFrom([{ custom: { type: 'handoff', handoff_id: 3, token: 'x' } }]), null);
  assert.deepEqual(callbackAfter({ status: 'expired', callback_id: 8 }, { id: 2, token: 'tok' }), { id: 8, token: 'tok' });
  assert.equal(callbackAfter({ status: 'expired', callback_id: null }, { id: 2, token: 'tok' }), null);
  const store = memoryStore();
  saveCallback(store, { id: 8, token: 'tok' });
  assert.deepEqual(loadCallback(store), { id: 8, token: 'tok' });
  assert.equal(store.getItem(CALLBACK_KEY).includes('1391234'), false);
  saveCallback(store, null);
  assert.equal(loadCallback(store), null);
});

test('the words go to the callback dialogue, whose answers are the assistant bubbles', async () => {
  const seen = [];
  const fetchFn = async (url, init) => {
    seen.push({ url, body: JSON.parse(init.body) });
    return { ok: true, status: 200, json: async () => ({ status: 'asking', messages: [{ text: '请发一个手机号' }], passthrough: false }) };
  };
  const answer = await answerCallback('http://b:8000/', { id: 8, token: 'tok' }, '好的', { fetchFn });
  assert.deepEqual(seen, [{ url: 'http://b:8000/api/v1/callbacks/8/user-messages', body: { token: 'tok', text: '好的' } }]);
  assert.deepEqual(callbackMessages(answer), [{ type: 'text', position: 'left', content: { text: '请发一个手机号' } }]);
  assert.equal(callbackOpen(answer), true);
  assert.equal(callbackOpen({ status: 'open', messages: [], passthrough: false }), false);
  assert.equal(callbackOpen({ status: 'declined', messages: [], passthrough: true }), false);
  assert.equal(callbackOpen({ status: 'offered', messages: [], passthrough: true }), false);
});
