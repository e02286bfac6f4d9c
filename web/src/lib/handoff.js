/**
 * The live handoff on the page: once the assistant queues the conversation (a `{type: "handoff"}` reply), the
 * user's messages go to the person through the backend and the page asks the backend every POLL_MS for the
 * person's replies — plain HTTPS requests, so the widget works inside a portal's page as the photo upload does.
 * The handoff (its number and secret) is kept in sessionStorage, so a reload goes on where it was.
 */
import { NetworkError } from './rasa.js';

export const HANDOFF_KEY = 'reissue-chat:handoff';
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

/** The stored handoff, or null. */
export function loadHandoff(store) {
  try {
    const value = JSON.parse(store.getItem(HANDOFF_KEY) || 'null');
    return value && Number.isInteger(value.id) && typeof value.token === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Keep the handoff (or forget it, with null). */
export function saveHandoff(store, handoff) {
  try {
    if (handoff) store.setItem(HANDOFF_KEY, JSON.stringify(handoff));
    else store.removeItem(HANDOFF_KEY);
  } catch {
    /* storage full or blocked: the handoff still works until a reload */
  }
}

/** POST `body` to one of the handoff's public endpoints; the parsed answer, or NetworkError. */
async function call(backendUrl, handoff, action, body, fetchFn) {
  const url = `${String(backendUrl).replace(/\/+$/, '')}/api/v1/handoffs/${handoff.id}/${action}`;
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
