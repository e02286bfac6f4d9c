/** Talking to Rasa's REST channel: the request body, the call, and turning replies into messages. */

export const REST_PATH = '/webhooks/rest/webhook';
export const DEFAULT_TIMEOUT_MS = 30000;

/** A failed exchange with a server (network down, timeout or an error status). */
export class NetworkError extends Error {
  /** Create the error; `status` is the HTTP status (0 = no answer), `detail` the server's own message. */
  constructor(message, status = 0, detail = '') {
    super(message);
    this.name = 'NetworkError';
    this.status = status;
    this.detail = detail;
  }
}

/** The JSON body Rasa's REST channel expects for one user message. */
export function buildPayload(sender, text) {
  return { sender, message: text, metadata: { channel: 'web' } };
}

/** Keep only well-formed buttons: `{title, payload}` with non-empty strings. */
export function cleanButtons(buttons) {
  if (!Array.isArray(buttons)) return [];
  return buttons
    .filter((b) => b && typeof b === 'object')
    .map((b) => ({
      title: typeof b.title === 'string' ? b.title : '',
      payload: typeof b.payload === 'string' ? b.payload : typeof b.title === 'string' ? b.title : '',
    }))
    .filter((b) => b.title.trim() && b.payload.trim());
}

/** True when `src` is an http(s) or root-relative image address. */
function isSafeImage(src) {
  if (typeof src !== 'string') return false;
  try {
    const url = new URL(src, 'http://placeholder.invalid/');
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Messages (without ids) for one custom payload, or [] when the type is unknown. */
function customMessages(custom) {
  if (!custom || typeof custom !== 'object') return [];
  if (custom.type === 'photo_upload') {
    const maxBytes = Number.isFinite(custom.max_bytes) && custom.max_bytes > 0 ? custom.max_bytes : null;
    return [{ type: 'photo_upload', position: 'left', content: { state: 'idle', maxBytes } }];
  }
  if (custom.type === 'rating') {
    const applicationNumber =
      typeof custom.application_number === 'string' && custom.application_number ? custom.application_number : null;
    return [{ type: 'rating', position: 'left', content: { state: 'open', applicationNumber } }];
  }
  if (typeof custom.text === 'string' && custom.text.trim()) {
    return [{ type: 'text', position: 'left', content: { text: custom.text, buttons: cleanButtons(custom.buttons) } }];
  }
  return [];
}

/** Turn Rasa's reply list into transcript messages (without ids); malformed items are dropped. */
export function botMessagesFrom(replies) {
  if (!Array.isArray(replies)) return [];
  const out = [];
  for (const reply of replies) {
    if (!reply || typeof reply !== 'object') continue;
    const text = typeof reply.text === 'string' ? reply.text : '';
    const buttons = cleanButtons(reply.buttons);
    if (text.trim() || buttons.length) {
      out.push({ type: 'text', position: 'left', content: { text, buttons } });
    }
    if (isSafeImage(reply.image)) {
      out.push({ type: 'image', position: 'left', content: { src: reply.image } });
    }
    out.push(...customMessages(reply.custom));
  }
  return out;
}

/** POST one message to Rasa and return its reply list; throws NetworkError on any failure. */
export async function postToRasa(rasaUrl, sender, text, { fetchFn = fetch, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response;
  try {
    response = await fetchFn(`${rasaUrl.replace(/\/+$/, '')}${REST_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(buildPayload(sender, text)),
      signal: controller.signal,
    });
  } catch (err) {
    throw new NetworkError(err && err.name === 'AbortError' ? 'timeout' : 'network');
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) throw new NetworkError(`status ${response.status}`, response.status);
  try {
    return await response.json();
  } catch {
    throw new NetworkError('bad json', response.status);
  }
}

const APPLICATION_NUMBER_RE = /\bBF\d{13}\b/;

/** The application number (BF + 13 digits) mentioned in `text`, or null. */
export function findApplicationNumber(text) {
  const match = typeof text === 'string' ? text.match(APPLICATION_NUMBER_RE) : null;
  return match ? match[0] : null;
}
