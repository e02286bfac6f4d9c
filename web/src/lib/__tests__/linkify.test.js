/** Unit tests for linkify (run with `npm test`, i.e. node --test). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkify, safeHref } from '../linkify.js';

test('plain text stays a single text segment, HTML included', () => {
  assert.deepEqual(linkify('<script>alert(1)</script>'), [{ type: 'text', text: '<script>alert(1)</script>' }]);
});

test('bare URL becomes a link and trailing punctuation stays text', () => {
  const segs = linkify('请访问 https://example.gov.cn/path?a=1. 谢谢');
  assert.deepEqual(segs, [
    { type: 'text', text: '请访问 ' },
    { type: 'link', text: 'https://example.gov.cn/path?a=1', href: 'https://example.gov.cn/path?a=1' },
    { type: 'text', text: '. 谢谢' },
  ]);
});

test('URL stops at Chinese punctuation', () => {
  const segs = linkify('网址是https://a.example.cn/x，请查收。');
  assert.equal(segs[1].href, 'https://a.example.cn/x');
  assert.equal(segs[2].text, '，请查收。');
});

test('markdown link uses its title', () => {
  const segs = linkify('见[办事指南](https://example.cn/guide)。');
  assert.deepEqual(segs[1], { type: 'link', text: '办事指南', href: 'https://example.cn/guide' });
});

test('javascript: links are never produced', () => {
  const segs = linkify('[点我](javascript:alert(1)) javascript:alert(2)');
  assert.ok(segs.every((s) => s.type === 'text'));
  assert.equal(segs.map((s) => s.text).join(''), '[点我](javascript:alert(1)) javascript:alert(2)');
  assert.equal(safeHref('javascript:alert(1)'), null);
});

test('text round-trips exactly', () => {
  const text = 'a https://x.cn/1, b [t](http://y.cn) c http://z.cn)';
  assert.deepEqual(
    linkify(text).filter((s) => s.type === 'link').map((s) => s.href),
    ['https://x.cn/1', 'http://y.cn/', 'http://z.cn/'],
  );
  const joined = linkify(text).map((s) => (s.type === 'link' && s.text === 't' ? '[t](http://y.cn)' : s.text)).join('');
  assert.equal(joined, text);
});
