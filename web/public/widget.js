/*
 * Embeddable chat widget for 证书补发在线咨询.
 * A portal adds one tag:  <script src="http://127.0.0.1:8080/widget.js" defer></script>
 * and gets a floating button that opens the chat page in an iframe. No dependencies; the widget's
 * styles live in a shadow root so they neither leak into nor inherit from the portal's CSS.
 */
(function () {
  'use strict';

  if (window.__reissueChatWidget) return;
  window.__reissueChatWidget = true;

  /** The origin the widget was loaded from (the chat page lives there too). */
  function chatOrigin() {
    var script = document.currentScript;
    if (!script) {
      var all = document.querySelectorAll('script[src*="widget.js"]');
      script = all[all.length - 1];
    }
    try {
      return new URL(script.src, window.location.href).origin;
    } catch (e) {
      return window.location.origin;
    }
  }

  var ORIGIN = chatOrigin();
  var CSS = [
    ':host{all:initial}',
    '.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:6px;',
    'min-height:60px;min-width:60px;padding:0 22px;border:0;border-radius:30px;background:#1d4ed8;color:#fff;',
    'font:600 18px/1.4 -apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;',
    'box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}',
    '.launcher:hover{background:#1e40af}',
    '.launcher:focus-visible{outline:3px solid #b45309;outline-offset:3px}',
    '.panel{position:fixed;right:20px;bottom:92px;z-index:2147483001;width:380px;height:min(640px,calc(100vh - 112px));',
    'border-radius:12px;overflow:hidden;background:#fff;box-shadow:0 10px 30px rgba(0,0,0,.3);display:none}',
    '.panel[data-open="true"]{display:block}',
    '.panel iframe{width:100%;height:100%;border:0;display:block}',
    '@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;border-radius:0}',
    '.launcher[aria-expanded="true"]{display:none}}'
  ].join('');

  /** Build the launcher and the (lazily filled) panel. */
  function mount() {
    var host = document.createElement('div');
    host.id = 'reissue-chat-widget';
    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    var style = document.createElement('style');
    style.textContent = CSS;
    var launcher = document.createElement('button');
    launcher.type = 'button';
    launcher.className = 'launcher';
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-controls', 'reissue-chat-panel');
    launcher.setAttribute('aria-label', '打开证书补发在线咨询');
    launcher.textContent = '在线咨询';
    var panel = document.createElement('div');
    panel.className = 'panel';
    panel.id = 'reissue-chat-panel';
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', '证书补发在线咨询');
    panel.setAttribute('data-open', 'false');
    var frame = null;

    /** Open or close the panel; the chat page is loaded on first open. */
    function setOpen(open) {
      if (open && !frame) {
        frame = document.createElement('iframe');
        frame.title = '证书补发在线咨询';
        frame.src = ORIGIN + '/?embed=1';
        frame.setAttribute('allow', 'clipboard-write');
        panel.appendChild(frame);
      }
      panel.setAttribute('data-open', open ? 'true' : 'false');
      launcher.setAttribute('aria-expanded', open ? 'true' : 'false');
      launcher.setAttribute('aria-label', open ? '关闭证书补发在线咨询' : '打开证书补发在线咨询');
      launcher.textContent = open ? '收起咨询' : '在线咨询';
      if (open) {
        frame.focus();
      } else {
        launcher.focus();
      }
    }

    launcher.addEventListener('click', function () {
      setOpen(panel.getAttribute('data-open') !== 'true');
    });
    window.addEventListener('message', function (event) {
      if (event.origin !== ORIGIN || !event.data || event.data.type !== 'reissue-chat:close') return;
      if (frame && event.source !== frame.contentWindow) return;
      setOpen(false);
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && panel.getAttribute('data-open') === 'true') setOpen(false);
    });

    root.appendChild(style);
    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(host);
  }

  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
