#!/usr/bin/env bash
# scripts/test.sh: THE test command. Builds and runs the whole suite
# (`cargo test`: unit tests, then the end-to-end tests; examples are built)
# against real components, isolated from the user's own keyrings:
#   * a private D-Bus session bus with an unlocked gnome-keyring on it
#     (Secret Service), from scripts/test-env.sh;
#   * a fresh kernel session keyring (`keyctl session -`);
#   * the OIDC test server of tests/oidc/, once that directory exists
#     (the hook is `_gte_start_oidc` in scripts/test-env.sh).
#
# Usage: scripts/test.sh [extra `cargo test` arguments]
#   e.g. scripts/test.sh -- --nocapture
#        scripts/test.sh --test e2e some_test_name
# CI=true in the environment is passed through to the tests.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# --- tools ------------------------------------------------------------------
# The Debian packages: installed here when run as root, else the one
# apt-get line to run is printed (scripts/install-deps.sh has the list).
"$root/scripts/install-deps.sh" || exit 2
if ! command -v cargo >/dev/null 2>&1; then
    echo "test.sh: cargo is missing: install the Rust toolchain (rustup)" >&2
    exit 2
fi

# --- environment --------------------------------------------------------------
cleanup() {
    local rc=$?
    if ((rc != 0)) && [[ -n ${GETTOKEN_TEST_ENV_DIR:-} && -s $GETTOKEN_TEST_ENV_DIR/oidc.log ]]; then
        echo "test.sh: last lines of the OIDC test server's log:" >&2
        tail -n 50 "$GETTOKEN_TEST_ENV_DIR/oidc.log" >&2 || true
    fi
    gettoken_test_env_stop || true
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# (not followed by shellcheck: its exec-mode `exit` would look final here)
# shellcheck source=/dev/null
source "$root/scripts/test-env.sh" || {
    echo "test.sh: the test environment could not be started (see above)" >&2
    exit 1
}

if [[ -n ${CI:-} ]]; then
    export CI
    echo "test.sh: CI=$CI"
fi

# --- the suite ------------------------------------------------------------------
echo "test.sh: cargo test $*" >&2
gettoken_test_env_run cargo test "$@"
