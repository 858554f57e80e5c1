#!/usr/bin/env bash
# scripts/demo.sh: gettoken end to end, on any machine with a Rust toolchain.
#
# Builds gettoken and the demo token endpoint (examples/token_server.rs)
# with the `demo` cargo profile (`dev` without debug info: the cheapest
# fresh build, with cargo's progress shown), starts the
# endpoint on 127.0.0.1, writes a throwaway profiles file with a `demo`
# profile whose client secret comes from the environment, and runs: a fetch
# and a cache hit (each timed), a real `curl` call to the endpoint's
# protected API with the header line, the expiry as JSON, `show`, a renewal
# (a cached token with less than --min-ttl left is replaced) and `list`. The
# endpoint prints one line on stderr per request it serves, so you can see
# which calls reached it.
#
# Nothing of yours is touched except the OS keyring (the profile uses the
# default `cache = "keyring"`, as a real profile would): the cached demo token
# is dropped again (`gettoken forget demo`) when the script ends.
#
# Usage: scripts/demo.sh
#   GETTOKEN_DEMO_PROFILE=demo|dev|release: the cargo profile (default demo;
#   GETTOKEN_DEMO_DEBUG=1 means dev)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

cargo_profile=${GETTOKEN_DEMO_PROFILE:-demo}
if [[ ${GETTOKEN_DEMO_DEBUG:-} == 1 ]]; then
    cargo_profile=dev
fi
case $cargo_profile in
dev) outdir=target/debug ;;
*) outdir=target/$cargo_profile ;;
esac
# honour a relocated target directory
if [[ -n ${CARGO_TARGET_DIR:-} ]]; then
    outdir=$CARGO_TARGET_DIR/${outdir#target/}
fi

echo "# building gettoken and the demo token endpoint (cargo build --profile $cargo_profile)..." >&2
build_start=$SECONDS
cargo build --profile "$cargo_profile" --bin gettoken --example token_server
echo "# built in $((SECONDS - build_start)) s" >&2

bin=$outdir/gettoken
server_bin=$outdir/examples/token_server
[[ -x $bin && -x $server_bin ]] || { echo "demo: build produced no $bin or $server_bin" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gettoken-demo.XXXXXX")
server_pid=
config=$tmp/profiles.toml

cleanup() {
    local rc=$?
    if [[ -f $config ]]; then
        # drop the demo token from the keyring again
        "$bin" --config "$config" forget demo >/dev/null 2>&1 || true
    fi
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Keep every per-user file of gettoken's in the temp dir (the keyring stays).
export XDG_CACHE_HOME=$tmp/cache XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_STATE_HOME=$tmp/state
mkdir -p "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME"
unset GETTOKEN_CONFIG

# Start the endpoint; its first stdout line is the port it chose.
"$server_bin" --port 0 >"$tmp/server.port" &
server_pid=$!
port=
for _ in $(seq 100); do # up to 10 s
    if [[ -s $tmp/server.port && $(wc -l <"$tmp/server.port") -ge 1 ]]; then
        port=$(head -n1 "$tmp/server.port")
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ ! $port =~ ^[0-9]+$ ]]; then
    echo "demo: the token endpoint did not start" >&2
    exit 1
fi

# The client secret comes from the environment, as a real one should (or
# from the keyring: `gettoken secret set NAME`); it is never in the file.
export DEMO_CLIENT_SECRET=demo-secret
cat >"$config" <<EOF
[profiles.demo]
flavour = "oauth2"
token_url = "http://127.0.0.1:$port/token"
client_id = "demo"
client_secret = { env = "DEMO_CLIENT_SECRET" }
scope = ["read"]
EOF

# The milliseconds since $1 (an $EPOCHREALTIME).
ms_since() {
    local start=${1/[.,]/} end=${EPOCHREALTIME/[.,]/}
    echo $(((10#$end - 10#$start) / 1000))
}

# step COMMENT ARGS...: prints the command line, runs gettoken with ARGS
# and keeps its wall time in $last_ms.
last_ms=0
step() {
    local comment=$1 start
    shift
    sleep 0.1 # let the endpoint's log line of the previous step come out first
    printf '\n# %s\n$ gettoken %s\n' "$comment" "$*"
    start=$EPOCHREALTIME
    "$bin" --config "$config" "$@"
    last_ms=$(ms_since "$start")
}

echo
echo "# the profiles file, $config (the secret is \$DEMO_CLIENT_SECRET):"
sed 's/^/    /' "$config"

step "fetch a token: nothing cached yet, so the endpoint logs one request" demo
fetch_ms=$last_ms
step "again: served from the cache, no request" demo
hit_ms=$last_ms
echo "# the fetch took ${fetch_ms} ms; the cache hit ${hit_ms} ms"

api="http://127.0.0.1:$port/api/hello"
step 'the header line, for curl -H "$(gettoken demo -H)"' demo -H
if command -v curl >/dev/null 2>&1; then
    sleep 0.1
    printf '\n# a real API call with it: the endpoint checks the token\n$ curl -sS -H "$(gettoken demo -H)" %s\n' "$api"
    curl -sS -H "$("$bin" --config "$config" demo -H)" "$api"
    echo
    sleep 0.1
    printf '\n# and without it\n$ curl -sS %s\n' "$api"
    curl -sS "$api" || true
    echo
else
    echo "# (curl is not installed: no API call to $api)"
fi

step "the expiry, for scripts" demo --format json
step "what is cached, where, and until when (the token itself hidden)" show demo
step "renewal: a cached token with less than min_ttl left (here --min-ttl 2h, the token lives 1h) is replaced: one request" demo --min-ttl 2h
echo "# the renewal took ${last_ms} ms"
step "the profiles and their cache state" list
sleep 0.1
echo
echo "# done: the endpoint served every request above; cleaning up" >&2
