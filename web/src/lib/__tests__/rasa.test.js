/** Unit tests for the Rasa REST helpers (run with `npm test`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { botMessagesFrom, buildPayload, cleanButtons, findApplicationNumber, NetworkError, postToRasa } from '../rasa.js';

test('payload carries the web channel in metadata', () => {
  assert.deepEqual(buildPayload('web-1', '你好'), { sender: 'web-1', message: '你好', metadata: { channel: 'web' } });
});

test('text with buttons becomes one message; malformed buttons are dropped', () => {
  const out = botMessagesFrom([
    { recipient_id: 'x', text: '您想问：', buttons: [{ title: '要交钱吗', payload: '/faq_fee' }, { title: '' }, null, 7] },
  ]);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0].content, { text: '您想问：', buttons: [{ title: '要交钱吗', payload: '/faq_fee' }] });
  assert.equal(out[0].position, 'left');
});

test('button without payload sends its title', () => {
  assert.deepEqual(cleanButtons([{ title: '是' }]), [{ title: '是', payload: '是' }]);
});

test('custom payloads map to cards', () => {
  const out = botMessagesFrom([
    { custom: { type: 'photo_upload', max_bytes: 2048 } },
    { custom: { type: 'rating', application_number: 'BF2026112704817' } },
    { custom: { type: 'unknown' } },
    { image: 'javascript:alert(1)' },
    { image: 'https://example.cn/a.jpg' },
  ]);
  assert.deepEqual(
    out.map((m) => m.type),
    ['photo_upload', 'rating', 'image'],
  );
  assert.equal(out[0].content.maxBytes, 2048);
  assert.equal(out[1].content.applicationNumber, 'BF2026112704817');
});

test('non-list replies give no messages', () => {
  assert.deepEqual(botMessagesFrom({ text: 'x' }), []);
  assert.deepEqual(botMessagesFrom(null), []);
});

test('application number is found in text', () => {
  assert.equal(findApplicationNumber('您的申请编号是 BF2026112704817，请保存。'), 'BF2026112704817');
  assert.equal(findApplicationNumber('没有编号'), null);
});

test('postToRasa posts JSON to the REST webhook and returns the list', async () => {
  let seen;
  const fetchFn = async (url, init) => {
    seen = { url, init };
    return { ok: true, status: 200, json: async () => [{ text: 'hi' }] };
  };
  const replies = await postToRasa('http://r:5005/', 's1', '你好', { fetchFn });
  assert.equal(seen.url, 'http://r:5005/webhooks/rest/webhook');
  assert.equal(seen.init.method, 'POST');
  assert.deepEqual(JSON.parse(seen.init.body), { sender: 's1', message: '你好', metadata: { channel: 'web' } });
  assert.deepEqual(replies, [{ text: 'hi' }]);
});

test('postToRasa turns failures into NetworkError', async () => {
  await assert.rejects(
    postToRasa('http://r', 's', 't', { fetchFn: async () => ({ ok: false, status: 502 }) }),
    (err) => err instanceof NetworkError && err.status === 502,
  );
  await assert.rejects(
    postToRasa('http://r', 's', 't', { fetchFn: async () => { throw new TypeError('Failed to fetch'); } }),
    (err) => err instanceof NetworkError && err.status === 0,
  );
  await assert.rejects(
    postToRasa('http://r', 's', 't', {
      timeoutMs: 10,
      fetchFn: (url, init) =>
        new Promise((resolve, reject) => init.signal.addEventListener('abort', () => reject(Object.assign(new Error('a'), { name: 'AbortError' })))),
    }),
    (err) => err instanceof NetworkError && err.message === 'timeout',
  );
});
