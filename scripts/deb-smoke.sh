#!/usr/bin/env bash
# scripts/deb-smoke.sh: a smoke test of an installed gettoken (the Debian
# package of scripts/deb.sh, installed with dpkg -i), run by .ci/run:
#   * the binary is /usr/bin/gettoken;
#   * it fetches a token from the demo endpoint (examples/token_server.rs)
#     on 127.0.0.1, serves the second call from the cache, and the header
#     line is taken by the endpoint's protected API;
#   * bash loads the packaged completion and it completes `gettoken li` to
#     `list`;
#   * `man gettoken` renders the packaged page.
# Usage: scripts/deb-smoke.sh   (TOKEN_SERVER=PATH for the endpoint's binary,
#   default target/debug/examples/token_server, built when missing;
#   GETTOKEN_SMOKE_ROOT=DIR checks a package unpacked with `dpkg-deb -x DEB DIR`
#   instead of an installed one)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

prefix=${GETTOKEN_SMOKE_ROOT:-}
if [[ -n $prefix ]]; then
    prefix=$(cd "$prefix" && pwd)
    export PATH=$prefix/usr/bin:$PATH MANPATH=$prefix/usr/share/man
fi
gettoken=$prefix/usr/bin/gettoken
server_bin=${TOKEN_SERVER:-target/debug/examples/token_server}
fail() {
    echo "deb-smoke: FAILED: $*" >&2
    exit 1
}

[[ -x $gettoken ]] || fail "$gettoken is not installed"
[[ $(command -v gettoken) == "$gettoken" ]] || fail "gettoken on PATH is $(command -v gettoken), not $gettoken"
echo "deb-smoke: $("$gettoken" --version) at $gettoken"
if [[ ! -x $server_bin ]]; then
    cargo build --example token_server
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gettoken-smoke.XXXXXX")
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- a fetch, a cache hit, an API call ---------------------------------------------
"$server_bin" --port 0 >"$tmp/port" 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 100); do
    [[ -s $tmp/port ]] && break
    sleep 0.1
done
port=$(head -n1 "$tmp/port")
[[ $port =~ ^[0-9]+$ ]] || fail "the token endpoint did not start"
cat >"$tmp/profiles.toml" <<EOF
[profiles.smoke]
flavour = "oauth2"
token_url = "http://127.0.0.1:$port/token"
client_id = "demo"
client_secret = { env = "SMOKE_SECRET" }
cache = "file"
EOF
export SMOKE_SECRET=demo-secret XDG_CACHE_HOME=$tmp/cache
first=$(gettoken --config "$tmp/profiles.toml" smoke)
second=$(gettoken --config "$tmp/profiles.toml" smoke)
[[ $first == demo-* && $first == "$second" ]] || fail "fetch and cache hit: got '$first' then '$second'"
requests=$(grep -c 'POST /token -> 200' "$tmp/server.log" || true)
((requests == 1)) || fail "the endpoint saw $requests token requests, not 1"
reply=$(curl -sS -H "$(gettoken --config "$tmp/profiles.toml" smoke -H)" "http://127.0.0.1:$port/api/hello")
[[ $reply == *'"hello":"demo"'* ]] || fail "the API refused the header: $reply"
echo "deb-smoke: fetch, cache hit and API call OK"

# --- bash completion, as packaged --------------------------------------------------
completion=$prefix/usr/share/bash-completion/completions/gettoken
[[ -f $completion ]] || fail "no $completion"
if [[ -n $prefix ]]; then
    # unpacked, not installed: the script calls /usr/bin/gettoken back
    sed "s|\"/usr/bin/gettoken\"|\"$gettoken\"|" "$completion" >"$tmp/completion.bash"
    completion=$tmp/completion.bash
fi
words=$(bash --norc --noprofile -c '
    source "$1"
    complete -p gettoken >/dev/null || exit 3
    COMP_WORDS=(gettoken li) COMP_CWORD=1 COMP_TYPE=9
    _clap_complete_gettoken gettoken li gettoken
    printf "%s\n" "${COMPREPLY[@]}"' bash "$completion") || fail "bash did not load $completion"
grep -qx 'list' <<<"$words" || fail "bash completed 'gettoken li' to: $words"
[[ -f $prefix/usr/share/zsh/vendor-completions/_gettoken ]] || fail "no zsh completion"
[[ -f $prefix/usr/share/fish/vendor_completions.d/gettoken.fish ]] || fail "no fish completion"
echo "deb-smoke: bash completion OK (gettoken li -> list); zsh and fish files present"

# --- the man page -----------------------------------------------------------------
page=$(MANPAGER=cat MANWIDTH=80 man gettoken 2>&1) || fail "man gettoken: $page"
grep -q 'gettoken show prod' <<<"$page" || fail "man gettoken rendered no EXAMPLES: $page"
MANPAGER=cat man gettoken-show >/dev/null 2>&1 || fail "man gettoken-show"
echo "deb-smoke: man gettoken OK"
echo "deb-smoke: passed"
