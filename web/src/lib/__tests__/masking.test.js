/** Unit tests for the masking rules (run with `npm test`); tests/web/test_masking_parity.py checks them against Python. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskId, maskName, maskPhone, numberCandidates, scrub, toHalfwidth } from '../masking.js';

test('an ID number keeps its first six and last four characters', () => {
  assert.equal(maskId('11010519900307002X'), '110105********002X');
  assert.equal(maskId('110105900307002'), '110105*****7002');
  assert.equal(maskId('1101 0519 9003 0700 2X'), '110105********002X');
  assert.equal(maskId('12345'), '*2345');
  assert.equal(maskId('123'), '***');
  assert.equal(maskId(null), '');
});

test('a mobile number keeps its first three and last four digits', () => {
  assert.equal(maskPhone('13912345678'), '139****5678');
  assert.equal(maskPhone('１３９１２３４５６７８'), '139****5678');
  assert.equal(maskPhone('5678901'), '***8901');
});

test('a name keeps its first character and the middle dot', () => {
  assert.equal(maskName('张三'), '张*');
  assert.equal(maskName(' 欧阳娜娜 '), '欧***');
  assert.equal(maskName('阿依古丽·买买提'), '阿***·***');
  assert.equal(maskName('王'), '*');
  assert.equal(maskName(''), '');
});

test('scrub masks ID and phone numbers wherever they are in a sentence', () => {
  assert.equal(
    scrub('身份证11010519900307002X，手机13912345678'),
    '身份证110105********002X，手机139****5678',
  );
  assert.equal(scrub('电话 139 1234 5678 谢谢'), '电话 139****5678 谢谢');
  assert.equal(scrub('+8613912345678'), '+86139****5678');
  assert.equal(scrub('手机１３９１２３４５６７８'), '手机139****5678');
  assert.equal(scrub('身份证 1101 0519 9003 0700 2X'), '身份证 110105********002X');
});

test('scrub leaves application numbers, dates and short numbers alone', () => {
  for (const text of ['申请编号BF2026112700001', '2015年5月', '参考号 482913', '0531 1380 0138 000', '12345678901']) {
    assert.equal(scrub(text), text);
  }
});

test('a phone number is never found inside an ID number', () => {
  assert.deepEqual(numberCandidates('370102199003071238', 11), []);
  assert.equal(scrub('370102199003071238'), '370102********1238');
});

test('half-width conversion keeps one character for one', () => {
  assert.equal(toHalfwidth('ＢＦ１２　３'), 'BF12 3');
  assert.equal(toHalfwidth('中文'), '中文');
});
