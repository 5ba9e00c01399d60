#!/usr/bin/env bash
# Installs what Tally needs on a fresh Debian 12 machine with Swift, and nothing
# that is already there: the C libraries (librdkafka, LMDB, Lua 5.4, libcrypto), kcat for the
# benchmark's reference reader, the pinned test broker (noida-db 0.2.3) and
# CloudKitty's own client (python-cloudkittyclient 6.2.0) for the API tests, and
# headless Chromium for the dashboard's browser tests.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
# chromium: the dashboard's browser tests drive it headless (--dump-dom, --screenshot).
for pkg in librdkafka-dev liblmdb-dev liblua5.4-dev libssl-dev kcat pkg-config chromium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${need[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! python3 -m pip show noida-db 2>/dev/null | grep -q '^Version: 0.2.3$'; then
    echo "setup: installing the pinned test broker noida-db==0.2.3"
    python3 -m pip install -q 'noida-db==0.2.3'
fi
if ! python3 -m pip show python-cloudkittyclient 2>/dev/null | grep -q '^Version: 6.2.0$'; then
    echo "setup: installing CloudKitty's client python-cloudkittyclient==6.2.0 (the API conformance tests drive it)"
    python3 -m pip install -q 'python-cloudkittyclient==6.2.0'
fi
command -v noida-db >/dev/null 2>&1 || { hash -r; command -v noida-db >/dev/null 2>&1; } || {
    echo "setup: noida-db is installed but not on PATH; add pip's script directory to PATH" >&2
    exit 1
}
command -v swift >/dev/null 2>&1 || { echo "setup: swift is not on PATH (Swift 6.1 or later is required)" >&2; exit 1; }
echo "setup: ok"
