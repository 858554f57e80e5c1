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
#
# Skips: outside CI, a test whose component is missing (a tool not
# installed, no OIDC server...) skips, and libtest can only call it `ok`.
# Such a test appends `TEST: REASON` to $GETTOKEN_TEST_SKIPS (util.rs,
# component_missing); after `cargo test` this script lists them under
# `N tests skipped (component missing):` and closes with a line
# `N passed, N failed, N skipped` (the sums of libtest's `test result:`
# lines, skipped tests not counted as passed). Under CI=true a missing
# component fails its test instead.
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

# --- the closing summary -----------------------------------------------------------
# The closing lines, after everything else (the test environment's own
# messages included): the skips, then the counts.
summary() {
    local passed failed skipped=0 failed_names
    read -r passed failed < <(sed -n 's/^test result: [^.]*\. \([0-9][0-9]*\) passed; \([0-9][0-9]*\) failed;.*/\1 \2/p' "$log" |
        awk '{p += $1; f += $2} END {print p + 0, f + 0}')
    grep -q "^test result: " "$log" || return 0
    if [[ -s $skips ]]; then
        # A test that skipped a part and then failed counts as failed.
        failed_names=$(sed -n 's/^test \(.*\) \.\.\. FAILED$/\1/p' "$log" | sort -u)
        local names
        names=$(sed 's/: .*//' "$skips" | sort -u | grep -vxF -e "$failed_names" -e '' || true)
        if [[ -n $names ]]; then
            skipped=$(printf '%s\n' "$names" | wc -l)
        fi
        echo
        echo "$skipped tests skipped (component missing):"
        sort -u "$skips" | sed 's/^/    /'
    fi
    echo "$((passed - skipped)) passed, $failed failed, $skipped skipped"
}

# --- environment --------------------------------------------------------------
skips=
log=
cleanup() {
    local rc=$?
    if ((rc != 0)) && [[ -n ${GETTOKEN_TEST_ENV_DIR:-} && -s $GETTOKEN_TEST_ENV_DIR/oidc.log ]]; then
        echo "test.sh: last lines of the OIDC test server's log:" >&2
        tail -n 50 "$GETTOKEN_TEST_ENV_DIR/oidc.log" >&2 || true
    fi
    gettoken_test_env_stop || true
    if [[ -n $log ]]; then
        summary || true
    fi
    rm -f -- "$skips" "$log"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the other platforms' builds -----------------------------------------------
# The Windows build (its unit tests and the binary, run under Wine by
# tests/e2e/windows.rs) and the static Linux build (tests/e2e/static_binary.rs),
# made when their rustup targets are installed (.ci/run adds them); without
# them those tests skip. Their paths go to the tests in GETTOKEN_TEST_*.
targets=$(rustup target list --installed 2>/dev/null || true)
built() { # cargo's JSON messages on stdin -> the one executable built
    jq -r 'select(.reason == "compiler-artifact" and .executable != null) | .executable' | tail -n 1
}
if grep -qx x86_64-pc-windows-gnu <<<"$targets"; then
    echo "test.sh: building for Windows (x86_64-pc-windows-gnu)" >&2
    GETTOKEN_TEST_WINDOWS_BIN=$(cargo build --quiet --message-format=json \
        --target x86_64-pc-windows-gnu --bin gettoken | built)
    GETTOKEN_TEST_WINDOWS_UNIT=$(cargo test --quiet --message-format=json \
        --target x86_64-pc-windows-gnu --lib --no-run | built)
    export GETTOKEN_TEST_WINDOWS_BIN GETTOKEN_TEST_WINDOWS_UNIT
fi
if grep -qx x86_64-unknown-linux-musl <<<"$targets"; then
    echo "test.sh: building the static binary (x86_64-unknown-linux-musl)" >&2
    GETTOKEN_TEST_STATIC_BIN=$(cargo build --quiet --message-format=json \
        --target x86_64-unknown-linux-musl --bin gettoken | built)
    export GETTOKEN_TEST_STATIC_BIN
fi

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
skips=$(mktemp "${TMPDIR:-/tmp}/gettoken-test-skips.XXXXXX")
log=$(mktemp "${TMPDIR:-/tmp}/gettoken-test-log.XXXXXX")
export GETTOKEN_TEST_SKIPS=$skips

echo "test.sh: cargo test $*" >&2
rc=0
# libtest's report (stdout) is kept to count it; stderr is left alone.
gettoken_test_env_run cargo test "$@" | tee "$log" || rc=$?

exit "$rc"
