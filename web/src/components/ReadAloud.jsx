/** The 「朗读」 button of an answer, shown only when the browser has a Chinese voice. */
import React, { useEffect, useState } from 'react';
import { chineseVoice, speak } from '../lib/speech.js';

/** The browser's Chinese voice (updated when the voice list arrives), or null. */
export function useChineseVoice() {
  const synth = typeof window !== 'undefined' ? window.speechSynthesis : null;
  const [voice, setVoice] = useState(() => (synth ? chineseVoice(synth.getVoices()) : null));
  useEffect(() => {
    if (!synth) return undefined;
    const update = () => setVoice(chineseVoice(synth.getVoices()));
    update();
    synth.addEventListener('voiceschanged', update);
    return () => synth.removeEventListener('voiceschanged', update);
  }, [synth]);
  return voice;
}

/** A button that reads `text` aloud with `voice`. */
export function ReadAloudButton({ text, voice }) {
  return (
    <button
      type="button"
      className="ReadAloudBtn"
      aria-label="朗读这条回答"
      onClick={() => speak(window.speechSynthesis, text, voice)}
    >
      <span aria-hidden="true">🔊</span> 朗读
    </button>
  );
}
