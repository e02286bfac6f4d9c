/** The photo-upload step: pick a JPG, upload it, and report the result politely. */
import React, { useRef } from 'react';
import { checkPhotoFile, DEFAULT_MAX_PHOTO_BYTES } from '../lib/backend.js';

/** A card with a file picker; `onUpload(file)` does the upload, the card shows `content.state`. */
export function PhotoUploadCard({ id, content, onUpload, onError }) {
  const inputRef = useRef(null);
  const state = content.state || 'idle';
  const inputId = `photo-${id}`;
  const hintId = `photo-hint-${id}`;

  /** Check the chosen file and hand it over, or show why it can't be used. */
  function handleChange(event) {
    const file = event.target.files && event.target.files[0];
    event.target.value = '';
    if (!file) return;
    const problem = checkPhotoFile(file, content.maxBytes || DEFAULT_MAX_PHOTO_BYTES);
    if (problem) onError(problem);
    else onUpload(file);
  }

  if (state === 'done') {
    return (
      <div className="Card PhotoCard" data-state="done">
        <p className="PhotoCard-done">照片已上传 ✓</p>
      </div>
    );
  }
  const busy = state === 'uploading';
  return (
    <div className="Card PhotoCard" data-state={state} aria-busy={busy}>
      <p className="PhotoCard-title" id={hintId}>
        请上传一张本人近期证件照（JPG 格式）。
      </p>
      <input
        ref={inputRef}
        id={inputId}
        className="visually-hidden"
        type="file"
        accept=".jpg,.jpeg,image/jpeg"
        aria-describedby={hintId}
        onChange={handleChange}
        disabled={busy}
        tabIndex={-1}
      />
      <button
        type="button"
        className="CardBtn CardBtn--primary"
        onClick={() => inputRef.current && inputRef.current.click()}
        disabled={busy}
        aria-describedby={hintId}
      >
        {busy ? '正在上传…' : state === 'error' ? '重新选择照片' : '选择照片'}
      </button>
      {state === 'error' && content.error && (
        <p className="CardError" role="alert">
          {content.error}
        </p>
      )}
    </div>
  );
}
