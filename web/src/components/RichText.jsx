/** Text with clickable http(s) links; everything else is rendered as text, never as HTML. */
import React from 'react';
import { linkify } from '../lib/linkify.js';

/** Render `text` as React text nodes and <a> elements for its links. */
export function RichText({ text }) {
  return (
    <>
      {linkify(text).map((segment, i) =>
        segment.type === 'link' ? (
          <a key={i} href={segment.href} target="_blank" rel="noopener noreferrer nofollow">
            {segment.text}
          </a>
        ) : (
          <React.Fragment key={i}>{segment.text}</React.Fragment>
        ),
      )}
    </>
  );
}
