#!/usr/bin/env bash
# Install Debian's Chromium (and a Chinese font, so screenshots are legible) for the browser tests.
# Idempotent and quiet on success; prints apt's output only when something fails. Run as root.
set -euo pipefail

CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"

packages=()
if [ ! -x "$CHROMIUM_BIN" ]; then
    packages+=(chromium)
fi
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null | head -n1)" ]; then
    packages+=(fonts-wqy-microhei)
fi
if [ "${#packages[@]}" -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure_chromium: ${packages[*]} missing and this is not root; run as root:" >&2
        echo "  apt-get update && apt-get install -y ${packages[*]}" >&2
        exit 1
    fi
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { $SUDO apt-get update \
        && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${packages[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "ensure_chromium: installing ${packages[*]} failed" >&2
    exit 1
fi

if [ ! -x "$CHROMIUM_BIN" ]; then
    echo "ensure_chromium: chromium installed but $CHROMIUM_BIN is still missing" >&2
    exit 1
fi
