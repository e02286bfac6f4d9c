/** Read-aloud helpers over the browser's speech synthesis: offered only where a Chinese voice exists. */

/** The voice to read Chinese with: zh-CN first, then any other zh voice; null when there is none. */
export function chineseVoice(voices) {
  const list = Array.from(voices || []).filter((v) => v && typeof v.lang === 'string');
  const zh = list.filter((v) => /^zh\b|^zh[-_]|^cmn/i.test(v.lang));
  return zh.find((v) => /^zh[-_]CN$/i.test(v.lang)) || zh.find((v) => /hans/i.test(v.lang)) || zh[0] || null;
}

/** The text as it should be read: links left out, spaces collapsed. */
export function speakableText(text) {
  return String(text || '')
    .replace(/https?:\/\/\S+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Read `text` aloud with `voice` on `synth` (window.speechSynthesis), stopping what was being read. */
export function speak(synth, text, voice, Utterance = globalThis.SpeechSynthesisUtterance) {
  const words = speakableText(text);
  if (!synth || !Utterance || !words) return false;
  synth.cancel();
  const utterance = new Utterance(words);
  utterance.lang = (voice && voice.lang) || 'zh-CN';
  // Only a real SpeechSynthesisVoice may be assigned; anything else keeps the language alone.
  if (voice && typeof SpeechSynthesisVoice !== 'undefined' && voice instanceof SpeechSynthesisVoice) utterance.voice = voice;
  utterance.rate = 0.9;
  synth.speak(utterance);
  return true;
}
