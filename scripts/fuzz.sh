#!/usr/bin/env bash
# scripts/fuzz.sh: runs gettoken's fuzz targets (fuzz/, cargo-fuzz and
# libFuzzer), one after the other, each for SECONDS; ends with a line per
# target: its runs and whether it found anything.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  how long each target runs (default 60)
#   TARGET   config, reply, request (default: every target in fuzz/Cargo.toml)
# e.g. scripts/fuzz.sh 600 config
#
# Each target reads the committed inputs of fuzz/seeds/TARGET (request:
# fuzz/seeds/config) and fuzz/regressions/TARGET and keeps what it learns in fuzz/corpus/TARGET
# (git-ignored); its log is fuzz/logs/TARGET.log. A crash, timeout or out-of-memory input is written to
# fuzz/artifacts/TARGET/ and the script exits 1: reproduce it with
# `cargo +nightly fuzz run -s none TARGET fuzz/artifacts/TARGET/FILE`, fix
# it, and copy the file to fuzz/regressions/TARGET/ so that `cargo test`
# replays it from then on (tests/e2e/fuzz_corpus.rs).
#
# One process, one core: libFuzzer's default, no -jobs/-workers. No
# sanitizer (`-s none`): the code under test is safe Rust; debug assertions
# and overflow checks stay on. Extra libFuzzer flags: FUZZ_ARGS="-max_len=8192".
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${1:-60}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz.sh: SECONDS must be a whole number above 0, not \`$seconds\`" >&2
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
fi
shift $(($# ? 1 : 0))

if ! command -v rustup >/dev/null 2>&1 || ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz.sh: a nightly Rust toolchain is needed (libFuzzer's instrumentation is nightly-only)" >&2
    echo "  install it with: rustup toolchain install nightly" >&2
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is needed" >&2
    echo "  install it with: cargo install cargo-fuzz" >&2
    exit 2
fi

mapfile -t known < <(cargo +nightly fuzz list)
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=("${known[@]}")
fi
for t in "${targets[@]}"; do
    if [[ " ${known[*]} " != *" $t "* ]]; then
        echo "fuzz.sh: no fuzz target \`$t\` (targets: ${known[*]})" >&2
        exit 2
    fi
done

cargo +nightly fuzz build -s none >&2

summary=()
failed=0
for t in "${targets[@]}"; do
    # Targets that read a profiles file share config's seeds.
    seeds=$t
    [[ $t == request ]] && seeds=config
    mkdir -p "fuzz/corpus/$t" "fuzz/seeds/$seeds" "fuzz/regressions/$t" "fuzz/logs"
    log="fuzz/logs/$t.log"
    echo "fuzz.sh: $t for ${seconds}s (log: $log)" >&2
    started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    start=$SECONDS
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
    if cargo +nightly fuzz run -s none "$t" "fuzz/corpus/$t" "fuzz/seeds/$seeds" "fuzz/regressions/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        ${FUZZ_ARGS:-} >"$log" 2>&1; then
        result="clean"
    else
        result="FOUND SOMETHING (see $log and fuzz/artifacts/$t/)"
        failed=1
    fi
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    summary+=("$t: started $started, ran $((SECONDS - start))s, ${runs:-?} runs, corpus $corpus files: $result")
    tail -n 3 "$log" >&2
done

echo
printf 'fuzz.sh: %s\n' "${summary[@]}"
exit "$failed"
