/**
 * Split bot or user text into plain-text and link segments, so links can be rendered as <a>
 * elements while every other character stays text (never HTML).
 */

const LINK_RE =
  /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s()<>]+)\)|(https?:\/\/[^\s<>"'\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]+)/g;

const TRAILING_PUNCT_RE = /[.,;:!?)\]}'"]+$/;

/** Return `href` when it is an absolute http(s) URL, else null. */
export function safeHref(href) {
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Split `text` into segments: `{type: 'text', text}` or `{type: 'link', text, href}`.
 * Markdown links `[title](https://…)` and bare http(s) URLs become links; nothing else is parsed.
 */
export function linkify(text) {
  const source = typeof text === 'string' ? text : String(text ?? '');
  const segments = [];
  let last = 0;
  const pushText = (value) => {
    if (!value) return;
    const prev = segments[segments.length - 1];
    if (prev && prev.type === 'text') prev.text += value;
    else segments.push({ type: 'text', text: value });
  };
  for (const match of source.matchAll(LINK_RE)) {
    const [whole, title, mdHref, bare] = match;
    let consumed = whole;
    let segment = null;
    if (mdHref) {
      const href = safeHref(mdHref);
      if (href) segment = { type: 'link', text: title, href };
    } else if (bare) {
      const trimmed = bare.replace(TRAILING_PUNCT_RE, '');
      consumed = trimmed;
      const href = safeHref(trimmed);
      if (href && trimmed.length > 'https://'.length) segment = { type: 'link', text: trimmed, href };
    }
    pushText(source.slice(last, match.index));
    if (segment) segments.push(segment);
    else pushText(consumed);
    last = match.index + consumed.length;
  }
  pushText(source.slice(last));
  return segments;
}
