/** Unit tests for the backend helpers (run with `npm test`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RATING_LEVELS,
  buildFeedback,
  checkPhotoFile,
  photoUploadedMessage,
  sendFeedback,
  uploadErrorMessage,
  uploadPhoto,
} from '../backend.js';
import { NetworkError } from '../rasa.js';

test('five rating levels from 5 to 1 with the national labels', () => {
  assert.deepEqual(
    RATING_LEVELS.map((l) => [l.rating, l.label]),
    [[5, '非常满意'], [4, '满意'], [3, '基本满意'], [2, '不满意'], [1, '非常不满意']],
  );
});

test('feedback body', () => {
  assert.deepEqual(buildFeedback({ rating: 4, comment: '  很方便 ', senderRef: 'web-1' }), {
    rating: 4,
    label: '满意',
    comment: '很方便',
    sender_ref: 'web-1',
  });
  assert.equal(
    buildFeedback({ rating: 1, comment: '', senderRef: 's', applicationNumber: 'BF2026112704817' }).application_number,
    'BF2026112704817',
  );
  assert.throws(() => buildFeedback({ rating: 6, senderRef: 's' }), RangeError);
});

test('photo checks', () => {
  assert.equal(checkPhotoFile({ name: 'a.JPG', type: 'image/jpeg', size: 10 }), null);
  assert.equal(checkPhotoFile({ name: 'a.jpeg', type: '', size: 10 }), null);
  assert.match(checkPhotoFile({ name: 'a.png', type: 'image/png', size: 10 }), /JPG/);
  assert.match(checkPhotoFile({ name: 'a.jpg', type: 'image/jpeg', size: 0 }), /空/);
  assert.match(checkPhotoFile({ name: 'a.jpg', type: 'image/jpeg', size: 3 * 1024 * 1024 }, 2 * 1024 * 1024), /2 MB/);
  assert.match(checkPhotoFile(null), /没有选到/);
});

test('upload error messages are polite and specific', () => {
  assert.match(uploadErrorMessage(413), /太大/);
  assert.match(uploadErrorMessage(422), /检查/);
  assert.match(uploadErrorMessage(0), /网络/);
  assert.equal(uploadErrorMessage(413, '照片太大了，请压缩到 200 KB 以内。'), '照片太大了，请压缩到 200 KB 以内。');
  assert.match(uploadErrorMessage(500, 'Traceback ...'), /网络/);
});

test('uploaded message uses a full-width colon', () => {
  assert.equal(photoUploadedMessage('PHabc'), '照片已上传：PHabc');
});

test('uploadPhoto posts multipart field "file" and returns photo_ref', async () => {
  let seen;
  const fetchFn = async (url, init) => {
    seen = { url, init };
    return { ok: true, status: 201, json: async () => ({ photo_ref: 'PH0123456789abcdef01234567' }) };
  };
  const file = new File([new Uint8Array([0xff, 0xd8, 0xff])], 'me.jpg', { type: 'image/jpeg' });
  const ref = await uploadPhoto('http://b:8000/', file, { fetchFn });
  assert.equal(ref, 'PH0123456789abcdef01234567');
  assert.equal(seen.url, 'http://b:8000/api/v1/photos');
  assert.ok(seen.init.body instanceof FormData);
  assert.equal(seen.init.body.get('file').name, 'me.jpg');
});

test('uploadPhoto rejects error statuses and answers without photo_ref', async () => {
  const file = new File([new Uint8Array([1])], 'me.jpg', { type: 'image/jpeg' });
  await assert.rejects(
    uploadPhoto('http://b', file, { fetchFn: async () => ({ ok: false, status: 413, json: async () => { throw new Error(); } }) }),
    (e) => e instanceof NetworkError && e.status === 413 && e.detail === '',
  );
  await assert.rejects(
    uploadPhoto('http://b', file, {
      fetchFn: async () => ({
        ok: false,
        status: 422,
        json: async () => ({ error: 'validation_error', message: '提交的内容有误', fields: { file: '只能上传 JPG 或 PNG 格式的照片。' } }),
      }),
    }),
    (e) => e.status === 422 && e.detail === '只能上传 JPG 或 PNG 格式的照片。',
  );
  await assert.rejects(
    uploadPhoto('http://b', file, { fetchFn: async () => ({ ok: true, status: 200, json: async () => ({}) }) }),
    NetworkError,
  );
});

test('sendFeedback posts JSON and fails loudly on error', async () => {
  let seen;
  await sendFeedback('http://b', { rating: 5 }, {
    fetchFn: async (url, init) => {
      seen = { url, init };
      return { ok: true, status: 201 };
    },
  });
  assert.equal(seen.url, 'http://b/api/v1/feedback');
  assert.deepEqual(JSON.parse(seen.init.body), { rating: 5 });
  await assert.rejects(sendFeedback('http://b', {}, { fetchFn: async () => ({ ok: false, status: 500 }) }), NetworkError);
});
