#!/usr/bin/env bash
# bench/ss.sh: the Secret Service cache hit alone, for work on it: gettoken
# binaries side by side with `secret-tool lookup` of the same item, on the
# private bus and gnome-keyring of scripts/test-env.sh. bench/run.sh
# measures the same row among all the others; this is the quick loop.
#
#   bench/ss.sh [NAME=BINARY]...    (default: gettoken=target/release/gettoken)
#
# For each: hyperfine -N wall times in one run (with `secret-tool lookup`),
# then, one run each, syscalls (`strace -f -c`: sendmsg/recvmsg are the
# round trips, clone3/clone the threads) and user-space instructions
# (callgrind). Needs target/release/examples/token_server
# (`cargo build --release --example token_server`), hyperfine, strace,
# valgrind, and what scripts/test-env.sh needs.
# Settings: BENCH_RUNS (default 300), BENCH_BLOCKS (default 6), BENCH_WARMUP
# (per block, default 5).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ ${1:-} != --inner ]]; then
    exec "$root/scripts/test-env.sh" bash "$root/bench/ss.sh" --inner "$@"
fi
shift
(($#)) || set -- "gettoken=$root/target/release/gettoken"
server=${CARGO_TARGET_DIR:-$root/target}/release/examples/token_server
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gettoken-ss.XXXXXX")
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_CACHE_HOME=$tmp/home/.cache
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"

"$server" --expires-in 3600 >"$tmp/port" 2>"$tmp/server.log" </dev/null &
server_pid=$!
for ((i = 0; i < 100; i++)); do
    [[ -s $tmp/port ]] && break
    sleep 0.1
done
config=$tmp/profiles.toml
cat >"$config" <<EOF
[profiles.ss]
flavour = "oauth2"
token_url = "http://127.0.0.1:$(head -n1 "$tmp/port")/token"
client_id = "demo"
client_secret = "demo-secret"
EOF
chmod 600 "$config"
first=${1#*=}
"$first" --config "$config" ss >/dev/null
secret-tool lookup service gettoken username token/ss >/dev/null ||
    { echo "ss.sh: the token is not in the Secret Service" >&2; exit 1; }

# As bench/run.sh does on a shared machine: the runs in blocks, the order
# of the commands reversed every other block, statistics over all blocks.
blocks=${BENCH_BLOCKS:-6}
runs=$(((${BENCH_RUNS:-300} + blocks - 1) / blocks))
for ((b = 1; b <= blocks; b++)); do
    cmds=()
    for nb in "$@" "secret-tool lookup=secret-tool"; do
        cmd="${nb#*=} --config $config ss"
        [[ $nb == secret-tool* ]] && cmd='secret-tool lookup service gettoken username token/ss'
        if ((b % 2)); then
            cmds+=(-n "${nb%%=*}" "$cmd")
        else
            cmds=(-n "${nb%%=*}" "$cmd" "${cmds[@]}")
        fi
    done
    hyperfine -N --style basic --warmup "${BENCH_WARMUP:-5}" --runs "$runs" \
        --export-json "$tmp/hit-$b.json" "${cmds[@]}" >/dev/null
done
jq -rs 'def median: sort | if length % 2 == 1 then .[(length - 1) / 2]
        else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    [.[].results[]] | group_by(.command) | map({command: .[0].command, m: ([.[].times[]] | median)})
    | (map(select(.command == "secret-tool lookup")) | .[0].m) as $st
    | .[] | "\(.command): median \(.m * 100000 | round / 100) ms, \(.m / $st * 1000 | round / 1000) x secret-tool lookup"' \
    "$tmp"/hit-*.json

count() { # NAME CMD...: syscalls and instructions of one run
    local name=$1
    shift
    strace -f -c -o "$tmp/strace" "$@" >/dev/null
    local calls
    calls=$(awk '$NF ~ /^(sendmsg|recvmsg|sendto|recvfrom|write|read|writev|poll|ppoll|epoll_wait|clone|clone3|futex)$/ { printf "%s=%s ", $NF, $4 }' "$tmp/strace")
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$@" >/dev/null 2>"$tmp/vg"
    printf '%s: %s instructions; %s\n' "$name" \
        "$(sed -n 's/^summary: //p' "$tmp/cg")" "$calls"
}
for nb in "$@"; do
    count "${nb%%=*}" "${nb#*=}" --config "$config" ss
done
count 'secret-tool lookup' secret-tool lookup service gettoken username token/ss
