/** The chat header: title, rating, large-font switch, new conversation and (embedded) close. */
import React from 'react';

/** The header bar; every control is a real button with an accessible name. */
export function Header({ elder, embedded, onRate, onToggleElder, onNewChat, onClose }) {
  return (
    <header className="ChatHeader">
      <h1 className="ChatHeader-title">证书补发在线咨询</h1>
      <div className="ChatHeader-actions">
        <button type="button" className="HeaderBtn" onClick={onRate} aria-label="评价本次服务">
          评价
        </button>
        <button
          type="button"
          className="HeaderBtn"
          onClick={onToggleElder}
          aria-pressed={elder}
          aria-label="大字高对比模式"
          data-testid="elder-toggle"
        >
          {elder ? '标准字' : '大字'}
        </button>
        <button type="button" className="HeaderBtn" onClick={onNewChat} aria-label="开始新对话">
          新对话
        </button>
        {embedded && (
          <button type="button" className="HeaderBtn HeaderBtn--close" onClick={onClose} aria-label="关闭对话窗口">
            ×
          </button>
        )}
      </div>
    </header>
  );
}
