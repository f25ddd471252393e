# Install Debian packages once with apt-get, quietly, without ever failing the make target.
# Sourced by tests/install_bubblewrap.sh and tests/browser/install_chromium.sh, which set:
#   SCRIPT      their name, for the messages
#   WHAT        what is installed, e.g. "bubblewrap"
#   IF_MISSING_CI, IF_MISSING_HERE
#               what happens without it, with CI=true and on a developer machine
# and then call:  apt_install_once CHECK PACKAGE...
#   CHECK: a command that succeeds when the packages are there, e.g. "command -v bwrap".
# Instant when CHECK succeeds. When it cannot install (not Linux, not root, no apt-get,
# apt fails) it says why and exits 0: the tests that need the packages are then SKIPPED
# on a developer machine and FAIL when CI=true, so CI can never pass without them.

say() { echo "$SCRIPT: $*"; }

give_up() {
    say "could not install $WHAT: $1"
    if [ "${CI:-}" = "true" ]; then
        say "CI=true: $IF_MISSING_CI"
    else
        say "$IF_MISSING_HERE"
    fi
    exit 0
}

apt_install_once() {
    local check="$1"
    shift
    if bash -c "$check" >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(uname -s)" != "Linux" ]; then
        give_up "it needs Linux (this is $(uname -s))"
    fi
    if [ "$(id -u)" -ne 0 ]; then
        give_up "it is missing and this is not root (as root: apt-get install $*)"
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        give_up "it is missing and apt-get is not available"
    fi
    say "installing Debian's $* with apt-get (once)"
    local log
    log="$(mktemp)"
    # Without `apt-get update` first when the package lists are already there (faster).
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" \
           || { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
                && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; }; } \
           >"$log" 2>&1; then
        tail -n 20 "$log"
        rm -f "$log"
        give_up "apt-get failed (its last lines are above)"
    fi
    rm -f "$log"
    if ! bash -c "$check" >/dev/null 2>&1; then
        give_up "apt-get succeeded but \`$check\` still fails"
    fi
}
