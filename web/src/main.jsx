/** Entry point of the chat page: read /config.json, then mount the app. */
import React from 'react';
import { createRoot } from 'react-dom/client';
import '@chatui/core/dist/index.css';
import './styles.css';
import { App } from './App.jsx';
import { forgetAll } from './lib/storage.js';

/** Where Rasa and the backend are when /config.json can't be read (e.g. under `vite dev`). */
function fallbackConfig() {
  const host = window.location.hostname || '127.0.0.1';
  return { rasaUrl: `http://${host}:5005`, backendUrl: `http://${host}:8000` };
}

/** The server-provided config merged over the fallback. */
async function loadConfig() {
  const fallback = fallbackConfig();
  try {
    const response = await fetch('/config.json', { cache: 'no-store' });
    if (!response.ok) return fallback;
    const data = await response.json();
    return {
      rasaUrl: typeof data.rasaUrl === 'string' && data.rasaUrl ? data.rasaUrl : fallback.rasaUrl,
      backendUrl: typeof data.backendUrl === 'string' && data.backendUrl ? data.backendUrl : fallback.backendUrl,
    };
  } catch {
    return fallback;
  }
}

/** Mount the app into #root. */
async function start() {
  const config = await loadConfig();
  const embedded = new URLSearchParams(window.location.search).get('embed') === '1';
  let store;
  let modeStore;
  try {
    // Earlier versions kept the whole conversation in localStorage for a day: remove what they left.
    // What stays there is the display mode alone (长辈版 on), so it is remembered on the next visit.
    modeStore = window.localStorage;
    forgetAll(modeStore);
  } catch {
    /* storage disabled: nothing was left there, and the mode lasts for this visit */
    modeStore = undefined;
  }
  try {
    store = window.sessionStorage;
    store.getItem('probe');
  } catch {
    const map = new Map();
    store = { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, String(v)), removeItem: (k) => map.delete(k) };
  }
  createRoot(document.getElementById('root')).render(<App config={config} store={store} modeStore={modeStore || store} embedded={embedded} />);
}

start();
