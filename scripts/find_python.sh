#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6.21 needs >=3.8,<3.11), or fail with a clear message.
set -euo pipefail
candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  for p in "$(pyenv root)"/versions/3.10.*/bin/python; do [ -x "$p" ] && candidates+=("$p"); done
fi
for p in "$HOME"/.pyenv/versions/3.10.*/bin/python /usr/local/bin/python3.10 /usr/bin/python3.10; do
  [ -x "$p" ] && candidates+=("$p")
done
for p in "${candidates[@]}"; do
  if "$p" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
    echo "$p"; exit 0
  fi
done
echo "ERROR: no Python 3.10 found. Rasa 3.6.21 needs Python 3.10 (>=3.8,<3.11)." >&2
echo "Install it (e.g. 'pyenv install 3.10' or 'apt-get install python3.10') or set PYTHON310=/path/to/python3.10." >&2
exit 1
