/** The message composer: a named text box and a send button that is always visible and works with the keyboard. */
import React, { forwardRef, useImperativeHandle, useRef, useState } from 'react';

/**
 * Drop-in for ChatUI's Composer (same props: text, placeholder, inputOptions, onChange, onFocus, onBlur, onSend).
 * Enter sends, Shift+Enter starts a new line; the 「发送」 button sends too, by click, tap, Enter or Space.
 */
export const Composer = forwardRef(function Composer(
  { text = '', placeholder, inputOptions = {}, onChange, onFocus, onBlur, onSend },
  ref,
) {
  const [value, setValue] = useState(text);
  const inputRef = useRef(null);
  const { showCount, ...options } = inputOptions;

  useImperativeHandle(ref, () => ({
    setText: (next) => setValue(next),
    getText: () => value,
    focus: () => inputRef.current && inputRef.current.focus(),
  }));

  /** Hand the text over and empty the box (keeping the focus in it). */
  function send() {
    const words = value.trim();
    if (!words) {
      if (inputRef.current) inputRef.current.focus();
      return;
    }
    onSend('text', words);
    setValue('');
    if (onChange) onChange('');
    if (inputRef.current) inputRef.current.focus();
  }

  return (
    <div className="Composer Composer--accessible">
      <div className="Composer-inputWrap">
        <textarea
          {...options}
          ref={inputRef}
          className="Composer-input"
          rows={1}
          enterKeyHint="send"
          placeholder={placeholder}
          value={value}
          onFocus={onFocus}
          onBlur={onBlur}
          onChange={(event) => {
            setValue(event.target.value);
            if (onChange) onChange(event.target.value, event);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
              event.preventDefault();
              send();
            }
          }}
        />
      </div>
      <button type="button" className="Composer-sendBtn SendBtn" onClick={send} aria-label="发送">
        发送
      </button>
    </div>
  );
});
