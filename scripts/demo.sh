#!/usr/bin/env bash
# scripts/demo.sh: gettoken end to end, on any machine with a Rust toolchain.
#
# Builds gettoken and the demo token endpoint (examples/token_server.rs),
# starts the endpoint on 127.0.0.1, writes a throwaway profiles file with a
# `demo` profile, and runs: a fetch, a cache hit, --header, --format json and
# `list`. The token endpoint prints one line on stderr per request it serves,
# so you can see the second call is answered from the cache.
#
# Nothing of yours is touched except the OS keyring (the profile uses the
# default `cache = "keyring"`, as a real profile would): the cached demo token
# is dropped again (`gettoken forget demo`) when the script ends.
#
# Usage: scripts/demo.sh        (set GETTOKEN_DEMO_DEBUG=1 for a debug build)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [[ ${GETTOKEN_DEMO_DEBUG:-} == 1 ]]; then
    profile_flag=()
    outdir=target/debug
else
    profile_flag=(--release)
    outdir=target/release
fi
# honour a relocated target directory
if [[ -n ${CARGO_TARGET_DIR:-} ]]; then
    outdir=$CARGO_TARGET_DIR/${outdir#target/}
fi

echo "# building gettoken and the demo token endpoint (cargo build ${profile_flag[*]})..." >&2
cargo build "${profile_flag[@]}" --quiet --bin gettoken --example token_server

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

cat >"$config" <<EOF
[profiles.demo]
flavour = "oauth2"
token_url = "http://127.0.0.1:$port/token"
client_id = "demo"
client_secret = "demo-secret"
scope = ["read"]
EOF
# A secret written out in the file: keep the file the user's own, as
# gettoken asks (it warns when others can read such a file).
chmod 600 "$config"

show() {
    local comment=$1
    shift
    sleep 0.1 # let the endpoint's log line of the previous step come out first
    printf '\n# %s\n$ gettoken %s\n' "$comment" "$*"
    "$bin" "$@"
}

echo
echo "# the profiles file, $config:"
sed 's/^/    /' "$config"

# First run: nothing cached yet, so gettoken asks the endpoint (one request line).
show "fetch a token: the endpoint logs one request" --config "$config" demo
show "again: served from the cache, no new request" --config "$config" demo
show "as an HTTP header, for curl -H \"\$(gettoken ... --header)\"" --config "$config" demo --header
show "as JSON" --config "$config" demo --format json
show "the profiles and their cache state" --config "$config" list
sleep 0.1
echo
echo "# done: the endpoint served every request above; cleaning up" >&2
