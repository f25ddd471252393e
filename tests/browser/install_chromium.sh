#!/usr/bin/env bash
# Install what the browser tests (tests/browser/) need: Debian's Chromium.
# Playwright's Python package comes with the test extras (pyproject.toml);
# its own browser download is not used: the tests drive /usr/bin/chromium.
# Idempotent, quiet, instant when Chromium is already there, and never fails `make test`
# (see ../apt_install_once.sh): without Chromium the browser tests are SKIPPED, or FAIL
# when CI=true.
set -uo pipefail

CHROMIUM="${BPCOURSE_CHROMIUM:-/usr/bin/chromium}"
SCRIPT="install_chromium.sh"
WHAT="Chromium"
IF_MISSING_CI="the browser tests will FAIL because Chromium is missing"
IF_MISSING_HERE="the browser tests (tests/browser/) will be reported as SKIPPED"
source "$(dirname "${BASH_SOURCE[0]}")/../apt_install_once.sh"

if [ -x "$CHROMIUM" ]; then
    exit 0
fi
# fonts-dejavu-core: readable text in the screenshots on a minimal machine
apt_install_once "test -x '$CHROMIUM'" chromium fonts-dejavu-core
say "installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
