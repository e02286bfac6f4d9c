/** The five-level satisfaction rating (好差评) with an optional comment. */
import React, { useEffect, useRef, useState } from 'react';
import { MAX_COMMENT_CHARS, RATING_LEVELS } from '../lib/backend.js';

/** A rating form; `onSubmit({rating, comment})` sends it, the card shows `content.state`. */
export function RatingCard({ id, content, onSubmit, autoFocus }) {
  const [rating, setRating] = useState(content.rating || null);
  const [comment, setComment] = useState(content.comment || '');
  const [hint, setHint] = useState('');
  const firstRef = useRef(null);
  const state = content.state || 'open';

  useEffect(() => {
    if (autoFocus && firstRef.current) firstRef.current.focus();
  }, [autoFocus]);

  if (state === 'done') {
    return (
      <div className="Card RatingCard" data-state="done">
        <p className="RatingCard-thanks">谢谢您的评价！您的意见我们会认真听取，用来改进服务。</p>
      </div>
    );
  }

  /** Send the rating, or ask for a choice first. */
  function handleSubmit(event) {
    event.preventDefault();
    if (!rating) {
      setHint('请先选择一个评价等级。');
      return;
    }
    setHint('');
    onSubmit({ rating, comment });
  }

  const busy = state === 'sending';
  return (
    <form className="Card RatingCard" data-state={state} onSubmit={handleSubmit} aria-busy={busy}>
      <fieldset disabled={busy}>
        <legend>请您为本次服务评价</legend>
        <div className="RatingCard-levels">
          {RATING_LEVELS.map((level, i) => (
            <label key={level.rating} className="RatingLevel" data-rating={level.rating}>
              <input
                ref={i === 0 ? firstRef : undefined}
                type="radio"
                name={`rating-${id}`}
                value={level.rating}
                checked={rating === level.rating}
                onChange={() => setRating(level.rating)}
              />
              <span>{level.label}</span>
            </label>
          ))}
        </div>
        <label className="RatingCard-commentLabel" htmlFor={`comment-${id}`}>
          意见或建议（选填）
        </label>
        <textarea
          id={`comment-${id}`}
          className="RatingCard-comment"
          rows={2}
          maxLength={MAX_COMMENT_CHARS}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
        />
        <button type="submit" className="CardBtn CardBtn--primary">
          {busy ? '正在提交…' : '提交评价'}
        </button>
      </fieldset>
      <p className="CardError" role="alert">
        {hint || (state === 'error' ? content.error : '')}
      </p>
    </form>
  );
}
