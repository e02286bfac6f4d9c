#!/usr/bin/env bash
# Build web/dist with npm + Vite when web/ sources changed (npm ci from the committed lock file).
set -euo pipefail
cd "$(dirname "$0")/../web"
stamp="dist/.sources.sha256"
sources=(package.json package-lock.json index.html vite.config.js src public)
want="$(find "${sources[@]}" -type f 2>/dev/null | sort | xargs cat | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
command -v npm >/dev/null || { echo "ERROR: npm is needed to build the chat page (apt-get install nodejs npm)." >&2; exit 1; }
echo "==> building the chat page (npm ci + vite build)"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
echo "$want" > "$stamp"
