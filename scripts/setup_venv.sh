#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the pinned requirements; does nothing when already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=".venv/.requirements.sha256"
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  py="$(bash scripts/find_python.sh)"
  echo "==> creating .venv with $py"
  "$py" -m venv .venv
fi
echo "==> installing pinned packages from requirements.txt (first time: about 3 minutes)"
.venv/bin/python -m pip install --quiet --upgrade "pip==24.2" >/dev/null
.venv/bin/python -m pip install --progress-bar on -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import rasa, rasa_sdk, spacy, jieba, opencc, requests, pytest" \
  || { echo "ERROR: the installation is incomplete; see the pip output above." >&2; exit 1; }
echo "$want" > "$stamp"
echo "==> .venv ready"
