/** Calls to the intake backend from the page: photo upload and satisfaction rating. */

import { NetworkError } from './rasa.js';

export const PHOTO_PATH = '/api/v1/photos';
export const FEEDBACK_PATH = '/api/v1/feedback';
export const DEFAULT_MAX_PHOTO_BYTES = 10 * 1024 * 1024;
export const MAX_COMMENT_CHARS = 300;

/** The five levels of the national 好差评 system, best first. */
export const RATING_LEVELS = [
  { rating: 5, label: '非常满意' },
  { rating: 4, label: '满意' },
  { rating: 3, label: '基本满意' },
  { rating: 2, label: '不满意' },
  { rating: 1, label: '非常不满意' },
];

/** The text sent to the bot once a photo is stored. */
export function photoUploadedMessage(photoRef) {
  return `照片已上传：${photoRef}`;
}

/** A polite reason the chosen file can't be sent, or null when it looks fine. */
export function checkPhotoFile(file, maxBytes = DEFAULT_MAX_PHOTO_BYTES) {
  if (!file) return '没有选到文件，请再选一次。';
  const name = String(file.name || '').toLowerCase();
  if (!/\.(jpe?g)$/.test(name) || (file.type && file.type !== 'image/jpeg')) {
    return '照片需要是 JPG 格式（文件名以 .jpg 或 .jpeg 结尾），请换一张再试。';
  }
  if (!file.size) return '这个文件是空的，请换一张照片再试。';
  if (file.size > maxBytes) {
    const mb = Math.floor((maxBytes / (1024 * 1024)) * 10) / 10;
    return `照片太大了，请换一张不超过 ${mb} MB 的照片。`;
  }
  return null;
}

/** A polite message for a failed upload with HTTP `status` (0 = no answer) and the server's `detail`. */
export function uploadErrorMessage(status, detail = '') {
  if ([400, 413, 415, 422].includes(status) && typeof detail === 'string' && detail.trim() && detail.length <= 200) {
    return detail.trim();
  }
  if (status === 413) return '照片太大了，请换一张小一点的照片再试。';
  if (status === 415 || status === 400 || status === 422) {
    return '这张照片没能通过检查，请换一张清晰的 JPG 证件照再试。';
  }
  if (status === 429) return '上传有点频繁，请稍等一会儿再试。';
  return '照片暂时没有传上去，可能是网络不太稳定，请稍后再试。';
}

/** Join a base URL and a path without doubling the slash. */
function join(base, path) {
  return `${String(base).replace(/\/+$/, '')}${path}`;
}

/** The backend's human message from an error body `{message, fields: {file}}`, or ''. */
export async function errorDetail(response) {
  try {
    const body = await response.json();
    const field = body && body.fields && typeof body.fields.file === 'string' ? body.fields.file : '';
    return field || (body && typeof body.message === 'string' ? body.message : '');
  } catch {
    return '';
  }
}

/** Upload a JPG as multipart field `file`; return its photo_ref or throw NetworkError. */
export async function uploadPhoto(backendUrl, file, { fetchFn = fetch } = {}) {
  const form = new FormData();
  form.append('file', file, file.name);
  let response;
  try {
    response = await fetchFn(join(backendUrl, PHOTO_PATH), { method: 'POST', body: form });
  } catch {
    throw new NetworkError('network');
  }
  if (!response.ok) throw new NetworkError(`status ${response.status}`, response.status, await errorDetail(response));
  let data;
  try {
    data = await response.json();
  } catch {
    throw new NetworkError('bad json', response.status);
  }
  if (!data || typeof data.photo_ref !== 'string' || !/^PH[0-9A-Za-z]+$/.test(data.photo_ref)) {
    throw new NetworkError('no photo_ref', response.status);
  }
  return data.photo_ref;
}

/** The feedback body for the backend; application_number only when known. */
export function buildFeedback({ rating, comment, senderRef, applicationNumber }) {
  const level = RATING_LEVELS.find((l) => l.rating === rating);
  if (!level) throw new RangeError(`rating must be 1..5, got ${rating}`);
  const body = {
    rating: level.rating,
    label: level.label,
    comment: String(comment || '').trim().slice(0, MAX_COMMENT_CHARS),
    sender_ref: senderRef,
  };
  if (applicationNumber) body.application_number = applicationNumber;
  return body;
}

/** POST a rating; throws NetworkError on failure. */
export async function sendFeedback(backendUrl, body, { fetchFn = fetch } = {}) {
  let response;
  try {
    response = await fetchFn(join(backendUrl, FEEDBACK_PATH), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new NetworkError('network');
  }
  if (!response.ok) throw new NetworkError(`status ${response.status}`, response.status);
}
