/** The chat header: title, the 长辈版 switch, rating, new conversation and (embedded) close. */
import React from 'react';

/** The header bar; every control is a real button with an accessible name. */
export function Header({ elder, embedded, onRate, onToggleElder, onNewChat, onClose }) {
  return (
    <header className="ChatHeader">
      <h1 className="ChatHeader-title">证书补发在线咨询</h1>
      <div className="ChatHeader-actions">
        <button
          type="button"
          className="HeaderBtn HeaderBtn--care"
          onClick={onToggleElder}
          aria-pressed={elder}
          aria-label="长辈版（关怀版：大字高对比模式）"
          title={elder ? '已开启长辈版，再点一次回到标准版' : '大字、高对比，看得更清楚'}
          data-testid="elder-toggle"
        >
          <span aria-hidden="true">{elder ? '✓ ' : ''}</span>长辈版
        </button>
        <button type="button" className="HeaderBtn" onClick={onRate} aria-label="评价本次服务">
          评价
        </button>
        <button type="button" className="HeaderBtn" onClick={onNewChat} aria-label="开始新对话">
          新对话
        </button>
        {embedded && (
          <button type="button" className="HeaderBtn HeaderBtn--close" onClick={onClose} aria-label="关闭对话窗口">
            <span aria-hidden="true">×</span> 关闭
          </button>
        )}
      </div>
    </header>
  );
}
