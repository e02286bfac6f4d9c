/**
 * Masking personal data before the page stores anything: ID numbers, mainland mobile numbers and names.
 * The same rules and visible parts as the server's reissue/masking.py (tests/web/test_masking_parity.py
 * holds the two to the same answers): ID 110105********002X, phone 139****5678, name 张*.
 */

// 18-character IDs, old 15-digit IDs and any longer digit run (bank cards …) are masked alike.
const ID_LIKE = /(?<![0-9])[0-9]{14,}[0-9Xx](?![0-9])/g;
const PHONE_LIKE = /(?<![0-9])(?:0086|86)?1[3-9][0-9]{9}(?![0-9])/g;
const MOBILE = /^1[3-9][0-9]{9}$/;
const PHONE_DIGITS = 11;
const ID_DIGITS = 18;
// Single spaces or dashes people type inside a number ("139 1234 5678", "139-1234-5678").
const SEPARATORS = ' \\-‐‑‒–—―－';
const HIDDEN = '[内容已隐藏]';

/** Full-width letters, digits and punctuation → half-width, one character for one (positions hold). */
export function toHalfwidth(text) {
  return String(text).replace(/[\u3000\uff01-\uff5e]/g, (char) =>
    char === '\u3000' ? ' ' : String.fromCharCode(char.charCodeAt(0) - 0xfee0),
  );
}

/** The digits of `value` without spaces and dashes, half-width. */
function compact(value) {
  return toHalfwidth(value ? String(value) : '').replace(/[\s-]/g, '');
}

/** `text` with all but its last four characters starred (all of it when four or fewer). */
function lastFour(text) {
  return text.length > 4 ? '*'.repeat(text.length - 4) + text.slice(-4) : '*'.repeat(text.length);
}

/** "370102199003071238" → "370102********1238"; other lengths keep at most the last four. */
export function maskId(value) {
  const text = compact(value);
  return text.length >= 15 ? text.slice(0, 6) + '*'.repeat(text.length - 10) + text.slice(-4) : lastFour(text);
}

/** "13812345678" → "138****5678"; other lengths keep at most the last four. */
export function maskPhone(value) {
  const text = compact(value);
  return text.length === PHONE_DIGITS ? `${text.slice(0, 3)}****${text.slice(-4)}` : lastFour(text);
}

/** "张三" → "张*", "欧阳娜娜" → "欧***"; the middle dot of minority names stays. */
export function maskName(value) {
  const chars = Array.from((value ? String(value) : '').trim());
  if (chars.length === 0) return '';
  if (chars.length === 1) return '*';
  return chars[0] + chars.slice(1).map((char) => (char === '·' ? '·' : '*')).join('');
}

/** True when the groups around groups[first..last] are numbers of their own (or a +86 prefix). */
function separate(groups, first, last) {
  if (first > 0) {
    const left = groups[first - 1].digits;
    if (left.length < 6 && left !== '86' && left !== '0086') return false;
  }
  return !(last + 1 < groups.length && groups[last + 1].digits.length < 6);
}

/** Keep spans in order, dropping any that overlap one kept before. */
function dropOverlaps(spans) {
  const kept = [];
  let end = -1;
  for (const span of spans) {
    if (span.start >= end) {
      kept.push(span);
      end = span.end;
    }
  }
  return kept;
}

/** Spans sorted by start, the longer first where two start together (a stable sort keeps the rest in order). */
function byStart(spans) {
  return spans.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start));
}

/**
 * Digit sequences of exactly `length` characters in `text`, allowing single spaces or dashes inside:
 * whole digit groups of a run such as "138 0013 8000", never part of a group, and a group next to the
 * sequence must be a number of its own (6 digits or more) or the prefix 86/0086. Returns {start, end, digits}.
 */
export function numberCandidates(text, length, lastMayBeX = false) {
  const tail = lastMayBeX ? '0-9Xx' : '0-9';
  const group = new RegExp(lastMayBeX ? '[0-9]+[0-9Xx]?' : '[0-9]+', 'g');
  const run = new RegExp(`(?<![0-9A-Za-z])[0-9][${tail}]*(?:[${SEPARATORS}][0-9][${tail}]*)*(?![0-9A-Za-z])`, 'g');
  const results = [];
  for (const found of text.matchAll(run)) {
    const groups = Array.from(found[0].matchAll(group), (g) => ({
      start: found.index + g.index,
      end: found.index + g.index + g[0].length,
      digits: g[0],
    }));
    for (let first = 0; first < groups.length; first += 1) {
      let digits = '';
      for (let last = first; last < groups.length; last += 1) {
        digits += groups[last].digits;
        if (digits.length > length) break;
        if (digits.length === length && !digits.slice(0, -1).toUpperCase().includes('X')) {
          if (separate(groups, first, last)) results.push({ start: groups[first].start, end: groups[last].end, digits });
          break;
        }
      }
    }
  }
  return dropOverlaps(byStart(results));
}

/** Every ID-like and phone-like number in (half-width) `text` with its masked form. */
function spans(text) {
  const out = [];
  for (const m of text.matchAll(ID_LIKE)) out.push({ start: m.index, end: m.index + m[0].length, masked: maskId(m[0]) });
  for (const c of numberCandidates(text, ID_DIGITS, true)) out.push({ ...c, masked: maskId(c.digits) });
  for (const m of text.matchAll(PHONE_LIKE)) {
    const end = m.index + m[0].length;
    out.push({ start: end - PHONE_DIGITS, end, masked: maskPhone(m[0].slice(-PHONE_DIGITS)) });
  }
  for (const c of numberCandidates(text, PHONE_DIGITS)) {
    if (MOBILE.test(c.digits)) out.push({ ...c, masked: maskPhone(c.digits) });
  }
  return out;
}

/** `text` with every ID-like and phone-like number masked; never throws. */
export function scrub(text) {
  try {
    const value = typeof text === 'string' ? text : String(text);
    let out = '';
    let position = 0;
    for (const { start, end, masked } of byStart(spans(toHalfwidth(value)))) {
      if (start < position) continue;
      out += value.slice(position, start) + masked;
      position = end;
    }
    return out + value.slice(position);
  } catch {
    return HIDDEN;
  }
}
