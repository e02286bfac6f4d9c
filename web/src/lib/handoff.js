/**
 * The live handoff on the page: once the assistant queues the conversation (a `{type: "handoff"}` reply), the
 * user's messages go to the person through the backend and the page asks the backend every POLL_MS for the
 * person's replies — plain HTTPS requests, so the widget works inside a portal's page as the photo upload does.
 * The handoff (its number and secret) is kept in sessionStorage, so a reload goes on where it was.
 *
 * When no person can answer (nobody took it in time: the updates carry `callback_id`; outside staffed hours: a
 * `{type: "callback"}` reply) the user is offered a callback number. While the offer is open the user's words go to
 * the backend's short callback dialogue (consent, number, "不用了"); words that are not for it go to the assistant.
 */
import { NetworkError } from './rasa.js';

export const HANDOFF_KEY = 'reissue-chat:handoff';
export const CALLBACK_KEY = 'reissue-chat:callback';
export const CALLBACK_DIALOGUE = ['offered', 'asking'];
export const POLL_MS = 1500;
export const ENDED = ['released', 'closed', 'expired'];

/** The handoff a Rasa reply list opens (`{id, token}`), or null. */
export function handoffFrom(replies) {
  if (!Array.isArray(replies)) return null;
  for (const reply of replies) {
    const custom = reply && reply.custom;
    if (custom && custom.type === 'handoff' && Number.isInteger(custom.handoff_id) && typeof custom.token === 'string'
      && custom.token) {
      return { id: custom.handoff_id, token: custom.token, after: 0 };
    }
  }
  return null;
}

/** The callback offer a Rasa reply list makes (`{id, token}`), or null. */
export function callbackFrom(replies) {
  if (!Array.isArray(replies)) return null;
  for (const reply of replies) {
    const custom = reply && reply.custom;
    if (custom && custom.type === 'callback' && Number.isInteger(custom.callback_id) && typeof custom.token === 'string'
      && custom.token) {
      return { id: custom.callback_id, token: custom.token };
    }
  }
  return null;
}

/** The callback offer an expired handoff's updates make (answered with the handoff's token), or null. */
export function callbackAfter(updates, handoff) {
  const id = updates && updates.callback_id;
  return Number.isInteger(id) && handoff && handoff.token ? { id, token: handoff.token } : null;
}

/** The record kept under `key`, or null. */
function load(store, key) {
  try {
    const value = JSON.parse(store.getItem(key) || 'null');
    return value && Number.isInteger(value.id) && typeof value.token === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Keep the record under `key` (or forget it, with null). */
function save(store, key, value) {
  try {
    if (value) store.setItem(key, JSON.stringify(value));
    else store.removeItem(key);
  } catch {
    /* storage full or blocked: it still works until a reload */
  }
}

/** The stored handoff, or null. */
export function loadHandoff(store) {
  return load(store, HANDOFF_KEY);
}

/** Keep the handoff (or forget it, with null). */
export function saveHandoff(store, handoff) {
  save(store, HANDOFF_KEY, handoff);
}

/** The stored callback offer, or null. */
export function loadCallback(store) {
  return load(store, CALLBACK_KEY);
}

/** Keep the callback offer (or forget it, with null). */
export function saveCallback(store, offer) {
  save(store, CALLBACK_KEY, offer);
}

/** POST `body` to one of the public endpoints of `kind` (handoffs, callbacks); the parsed answer, or NetworkError. */
async function call(backendUrl, handoff, action, body, fetchFn, kind = 'handoffs') {
  const url = `${String(backendUrl).replace(/\/+$/, '')}/api/v1/${kind}/${handoff.id}/${action}`;
  let response;
  try {
    response = await fetchFn(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: handoff.token, ...body }),
    });
  } catch {
    throw new NetworkError('network');
  }
  if (!response.ok) throw new NetworkError(`status ${response.status}`, response.status);
  return response.json();
}

/** Send the user's words to the person. */
export function sendToPerson(backendUrl, handoff, text, { fetchFn = fetch } = {}) {
  return call(backendUrl, handoff, 'user-messages', { text }, fetchFn);
}

/** The status and the staff and system messages after `handoff.after`. */
export function fetchUpdates(backendUrl, handoff, { fetchFn = fetch } = {}) {
  return call(backendUrl, handoff, 'updates', { after: handoff.after || 0 }, fetchFn);
}

/** Send the user's words to the callback offer: `{status, messages: [{text}], passthrough}`. */
export function answerCallback(backendUrl, offer, text, { fetchFn = fetch } = {}) {
  return call(backendUrl, offer, 'user-messages', { text }, fetchFn, 'callbacks');
}

/** The assistant's bubbles for what the callback dialogue says. */
export function callbackMessages(answer) {
  return ((answer && answer.messages) || [])
    .filter((m) => m && typeof m.text === 'string' && m.text.trim())
    .map((m) => ({ type: 'text', position: 'left', content: { text: m.text } }));
}

/** True while the offer still waits for the user (consent or number). */
export function callbackOpen(answer) {
  return Boolean(answer && CALLBACK_DIALOGUE.includes(answer.status) && !answer.passthrough);
}

/** Transcript messages (without ids) for the person's and the system's new messages. */
export function updateMessages(updates) {
  const out = [];
  for (const m of (updates && updates.messages) || []) {
    if (!m || typeof m.text !== 'string' || !m.text.trim()) continue;
    if (m.author === 'staff') out.push({ type: 'text', position: 'left', content: { text: m.text, author: 'staff' } });
    else out.push({ type: 'notice', position: 'center', content: { text: m.text } });
  }
  return out;
}

/** The id of the last message in `updates`, or `after` when there is none. */
export function lastMessageId(updates, after) {
  const ids = ((updates && updates.messages) || []).map((m) => m && m.id).filter(Number.isInteger);
  return ids.length ? Math.max(after, ...ids) : after;
}
