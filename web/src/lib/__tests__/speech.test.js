/** Unit tests for the read-aloud helpers (run with `npm test`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chineseVoice, speak, speakableText } from '../speech.js';

test('a Chinese voice is found, zh-CN first', () => {
  const voices = [{ lang: 'en-US' }, { lang: 'zh-TW', name: 'tw' }, { lang: 'zh-CN', name: 'cn' }];
  assert.equal(chineseVoice(voices).name, 'cn');
  assert.equal(chineseVoice([{ lang: 'en-US' }, { lang: 'zh-HK', name: 'hk' }]).name, 'hk');
});

test('no Chinese voice: null', () => {
  assert.equal(chineseVoice([{ lang: 'en-US' }, { lang: 'de-DE' }]), null);
  assert.equal(chineseVoice([]), null);
  assert.equal(chineseVoice(undefined), null);
});

test('links are not read, spaces are collapsed', () => {
  assert.equal(speakableText('详见 https://hrss.shandong.gov.cn/x 的说明\n\n谢谢'), '详见 的说明 谢谢');
});

test('speak cancels what was being read and reads the text in Chinese', () => {
  const calls = [];
  const synth = { cancel: () => calls.push('cancel'), speak: (u) => calls.push(u) };
  class Utterance {
    constructor(text) {
      this.text = text;
    }
  }
  assert.equal(speak(synth, '补办不收费。', { lang: 'zh-CN' }, Utterance), true);
  assert.equal(calls[0], 'cancel');
  assert.equal(calls[1].text, '补办不收费。');
  assert.equal(calls[1].lang, 'zh-CN');
  assert.equal(speak(synth, '   ', null, Utterance), false);
  assert.equal(speak(null, '补办', null, Utterance), false);
});
