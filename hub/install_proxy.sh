#!/usr/bin/env bash
# Install what `make hub` and the hub's tests need besides Python packages: JupyterHub's
# proxy, configurable-http-proxy, from npm (and Node.js from Debian when it is missing).
# Idempotent, instant when the proxy is there, and never fails `make test` (see
# ../tests/apt_install_once.sh): without it the hub tests are SKIPPED, or FAIL when CI=true.
set -uo pipefail

SCRIPT="install_proxy.sh"
WHAT="Node.js (for configurable-http-proxy)"
IF_MISSING_CI="the hub tests will FAIL because configurable-http-proxy is missing"
IF_MISSING_HERE="the hub tests (tests/browser/test_hub.py) will be reported as SKIPPED"
source "$(dirname "${BASH_SOURCE[0]}")/../tests/apt_install_once.sh"

if command -v configurable-http-proxy >/dev/null 2>&1; then
    exit 0
fi
apt_install_once "command -v npm" nodejs npm
if ! npm install --global --no-fund --no-audit --loglevel=error configurable-http-proxy@5 >/dev/null; then
    give_up "npm install --global configurable-http-proxy failed"
fi
say "installed configurable-http-proxy $(configurable-http-proxy --version 2>/dev/null)"
