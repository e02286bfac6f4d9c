// Vite build of the chat page; public/widget.js is copied to dist/widget.js as it is.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// @chatui/core's "browser" field points at a UMD bundle that Vite would pick first; use its ES build.
const chatuiEs = fileURLToPath(new URL('./node_modules/@chatui/core/es/index.js', import.meta.url));

/** Drop @font-face rules that fetch fonts from a third-party CDN (blocked by our CSP anyway). */
function noRemoteFonts() {
  return {
    name: 'no-remote-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('@chatui/core') || !id.split('?')[0].endsWith('.css')) return null;
      return { code: code.replace(/@font-face\s*\{[^}]*url\(\s*["']?https?:[^}]*\}/g, ''), map: null };
    },
  };
}

export default defineConfig({
  plugins: [noRemoteFonts(), react()],
  base: '/',
  resolve: {
    alias: [{ find: /^@chatui\/core$/, replacement: chatuiEs }],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
});
