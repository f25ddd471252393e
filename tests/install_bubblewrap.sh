#!/usr/bin/env bash
# Install what `bpcourse grade` needs to sandbox learners' code: Debian's bubblewrap.
# Used by `make sandbox-deps`, which `make test` and `make grade` run first.
# Idempotent, quiet, instant when bwrap is already there, and never fails the make target
# (see apt_install_once.sh): without bwrap, `bpcourse grade` refuses to grade (unless given
# --no-sandbox) and the sandboxed grading tests are SKIPPED, or FAIL when CI=true.
set -uo pipefail

SCRIPT="install_bubblewrap.sh"
WHAT="bubblewrap"
IF_MISSING_CI="the sandboxed grading tests will FAIL because bwrap is missing"
IF_MISSING_HERE="bpcourse grade will refuse to run without --no-sandbox; its sandbox tests will be SKIPPED"
source "$(dirname "${BASH_SOURCE[0]}")/apt_install_once.sh"

if command -v bwrap >/dev/null 2>&1; then
    exit 0
fi
apt_install_once "command -v bwrap" bubblewrap
say "installed $(bwrap --version 2>/dev/null || echo bwrap)"
