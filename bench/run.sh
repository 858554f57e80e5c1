#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2317 # backquotes in single quotes are Markdown; trap handlers
# bench/run.sh: gettoken against what users would use instead, side by side,
# measured in one run on this machine; writes BENCHMARKS.md.
#
#   cache hit    gettoken on the kernel keyring (the dynamic build, and the
#                static musl one, the Linux release artifact), on the Secret Service
#                (gnome-keyring on a private bus) and on the file cache;
#                `oidc-token` with a cached token (oidc-agent, an account on
#                the same local OIDC server); `secret-tool lookup` of the very
#                item gettoken reads; `true`, the floor of process start-up;
#                `gettoken --version`, the start-up of gettoken's own binary;
#                the file-cache hit again with 5,000 profiles in the file
#   cold fetch   `gettoken --no-cache` against `curl -s ... | jq -r
#                .access_token` on the same local token endpoint
#   stampede     50 parallel calls with a token past its `min_ttl`
#                (`oidc-token -t`): requests counted at the endpoint, wall clock
#   memory       peak RSS of a cache hit and of a fetch; binary size
#   Google key   a service-account key file: gettoken's fetch (sign + request)
#                and hit against `gcloud auth print-access-token`, on one
#                local stand-in of Google's token endpoint (BENCH_ONLY=google:
#                this part alone)
#   profile      where a hit's instructions go (callgrind on the static
#                binary built with its symbols, Cargo.toml's `profiling`)
#   targets      issue 18's, each a row: measured, met or not
#
# Usage (as root on Debian 12, from a clone of the repository):
#   bench/run.sh
# It installs what it lacks (apt-get: hyperfine, oidc-agent-cli, curl, jq,
# time, openssl, nodejs/npm for the OIDC test server, and what
# scripts/test-env.sh needs), builds the release binary (Cargo.toml's release
# profile), starts everything on 127.0.0.1 only, and stops it all again on
# exit. Needs the Rust toolchain, as the tests do.
#
# Settings (environment): BENCH_RUNS (runs per command, default 500),
# BENCH_WARMUP (default 30), BENCH_BLOCKS (blocks the runs are split in,
# default 10), BENCH_ROUNDS (stampede rounds, default 5),
# BENCH_OUT (default BENCHMARKS.md at the top of the repository).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

runs=${BENCH_RUNS:-500}
warmup=${BENCH_WARMUP:-30}
rounds=${BENCH_ROUNDS:-5}
out=${BENCH_OUT:-$root/BENCHMARKS.md}
parallel=50

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf 'bench: ERROR: %s\n' "$*" >&2
    exit 1
}

# ============================================================================
# outer: packages, build, the keyring environment; then this script again
# (--inner) inside a fresh kernel session keyring
# ============================================================================
if [[ ${1:-} != --inner ]]; then
    pkgs=(hyperfine oidc-agent-cli curl jq time openssl ca-certificates valgrind strace musl-tools
        gnome-keyring dbus libsecret-tools keyutils util-linux procps)
    if ! { command -v node && command -v npm; } >/dev/null 2>&1; then
        pkgs+=(nodejs npm)
    fi
    missing=()
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
            missing+=("$p")
    done
    if ((${#missing[@]})); then
        ((EUID == 0)) || die "missing packages (run as root, or install them): ${missing[*]}"
        log "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain (rustup), as for the tests"

    log "building (cargo build --release: gettoken and examples/token_server)"
    cargo build --release --quiet --bin gettoken --example token_server
    target=${CARGO_TARGET_DIR:-$root/target}
    # (rustup's rustc needs the real HOME, which the inner part replaces)
    BENCH_RUSTC=$(rustc --version 2>/dev/null || echo '?')
    export BENCH_RUSTC
    export BENCH_BIN=$target/release/gettoken
    export BENCH_SERVER=$target/release/examples/token_server
    # The static binary, the Linux release artifact (musl), beside it
    # (not for BENCH_ONLY=google, which measures the dynamic one only).
    if [[ ${BENCH_ONLY:-} == google ]]; then
        export BENCH_STATIC_BIN=$BENCH_BIN
    else
        log "building (cargo build --release --target x86_64-unknown-linux-musl: the static gettoken)"
        rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1 ||
            die "rustup target add x86_64-unknown-linux-musl failed"
        cargo build --release --quiet --target x86_64-unknown-linux-musl --bin gettoken
        export BENCH_STATIC_BIN=$target/x86_64-unknown-linux-musl/release/gettoken
    fi
    [[ -x $BENCH_STATIC_BIN ]] || die "the build produced no $BENCH_STATIC_BIN"
    # The same with its symbols (the `profiling` profile: only `strip`
    # differs), for callgrind to name where a hit's instructions go.
    log "building (cargo build --profile profiling --target x86_64-unknown-linux-musl: symbols for callgrind)"
    cargo build --profile profiling --quiet --target x86_64-unknown-linux-musl --bin gettoken
    export BENCH_PROFILING_BIN=$target/x86_64-unknown-linux-musl/profiling/gettoken
    [[ -x $BENCH_PROFILING_BIN ]] || die "the build produced no $BENCH_PROFILING_BIN"
    [[ -x $BENCH_BIN && -x $BENCH_SERVER ]] || die "the build produced no $BENCH_BIN or $BENCH_SERVER"

    BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gettoken-bench.XXXXXX")
    export BENCH_TMP
    chmod 700 "$BENCH_TMP"
    cleanup_outer() {
        local rc=$?
        gettoken_test_env_stop || true
        rm -rf "$BENCH_TMP"
        exit "$rc"
    }
    trap cleanup_outer EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    # the private bus with an unlocked gnome-keyring, and the OIDC server
    # shellcheck source=/dev/null
    source "$root/scripts/test-env.sh" || die "the keyring environment did not start (see above)"
    [[ -n ${GETTOKEN_TEST_OIDC_ISSUER:-} ]] || die "the OIDC test server did not start"
    gettoken_test_env_run bash "$root/bench/run.sh" --inner
    exit $?
fi

# ============================================================================
# inner: everything is measured here
# ============================================================================
bin=$BENCH_BIN
static_bin=$BENCH_STATIC_BIN
tmp=$BENCH_TMP
iss=$GETTOKEN_TEST_OIDC_ISSUER
pids=()
cleanup_inner() {
    local rc=$? pid
    if [[ -n ${agent_pid:-} ]]; then
        kill "$agent_pid" 2>/dev/null || true
    fi
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    exit "$rc"
}
trap cleanup_inner EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# gettoken's files (config, file cache, locks) and oidc-agent's stay in $tmp
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_CACHE_HOME=$tmp/home/.cache
export XDG_RUNTIME_DIR=$tmp/run
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR"

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(load)

# ============================================================================
# Google service-account key file: gettoken against `gcloud auth
# print-access-token`, on one local stand-in of Google's token endpoint (the
# key file's `token_uri`). Self-contained: its own endpoint, key file,
# profile, gcloud config directory and numbers, written as its own section of
# BENCHMARKS.md. `BENCH_ONLY=google bench/run.sh` measures this part alone
# (and prints the section). Settings: BENCH_GOOGLE_RUNS (runs of each gcloud
# command, default 20; gettoken's commands get BENCH_RUNS / 2 and / 4).
# ============================================================================
google_runs=${BENCH_GOOGLE_RUNS:-20}
# (the same as the report's helpers below, for BENCH_ONLY=google)
google_fmt() { LC_ALL=C printf '%.2f' "$1"; }
google_ratio() { LC_ALL=C awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
google_verdict() { if LC_ALL=C awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; then echo "met"; else echo "**not met**"; fi; }
gdir=$tmp/google

# Google's token endpoint for a service account's JWT-bearer grant
# (RFC 7523 2.1): the assertion's shape and claims are checked (RS256,
# iss, aud = Google's token URL or this one, scope or target_audience,
# exp - iat <= 1 h), as Google answers; an ID token for `target_audience`
# (gcloud asks for one when it activates the account). One stderr line per
# reply, so requests are counted.
google_server() { # -> sets $google_port
    local i
    cat >"$gdir/google_token.py" <<'EOF'
import base64, json, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

GOOGLE_AUD = "https://oauth2.googleapis.com/token"
count = 0

def b64(d):
    return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

def unb64(s):
    return json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))

class Token(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        sys.stderr.write("POST /token -> %d %s\n" % (status, body.get("error_description", "")))
        sys.stderr.flush()

    def do_POST(self):
        global count
        n = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
        if self.path != "/token" or form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: " + form.get("grant_type", "")})
        parts = form.get("assertion", "").split(".")
        if len(parts) != 3:
            return self.reply(400, {"error": "invalid_request", "error_description": "Missing required parameter: assertion"})
        try:
            header, claims = unb64(parts[0]), unb64(parts[1])
        except Exception:
            return self.reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        here = "http://%s/token" % self.headers.get("Host")
        if (header.get("alg") != "RS256" or claims.get("aud") not in (here, GOOGLE_AUD)
                or not claims.get("iss") or not (claims.get("scope") or claims.get("target_audience"))
                or not 0 < claims.get("exp", 0) - claims.get("iat", 0) <= 3600):
            return self.reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."})
        count += 1
        now = int(time.time())
        if claims.get("target_audience"):
            id_token = "%s.%s.c2ln" % (b64({"alg": "RS256", "typ": "JWT"}), b64({"iss": "https://accounts.google.com", "aud": claims["target_audience"], "sub": "1", "email": claims["iss"], "iat": now, "exp": now + 3600}))
            return self.reply(200, {"id_token": id_token})
        self.reply(200, {"access_token": "ya29.bench-%d-%d" % (now, count), "expires_in": 3599, "token_type": "Bearer"})

server = HTTPServer(("127.0.0.1", 0), Token)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF
    /usr/bin/python3 "$gdir/google_token.py" >"$gdir/port" 2>"$gdir/server.log" </dev/null &
    pids+=($!)
    for ((i = 0; i < 100; i++)); do
        [[ -s $gdir/port ]] && break
        sleep 0.1
    done
    google_port=$(head -n1 "$gdir/port")
    [[ $google_port =~ ^[0-9]+$ ]] || die "the Google token endpoint did not start: $(cat "$gdir/server.log")"
}
google_served() { grep -c 'POST /token -> 200' "$gdir/server.log" || true; }

# gcloud on its own config directory, talking to nothing but loopback: no
# usage reports, no update check, no GCE metadata probe.
gcloud_env() {
    env -u HTTPS_PROXY -u https_proxy -u HTTP_PROXY -u http_proxy -u ALL_PROXY -u all_proxy \
        CLOUDSDK_CONFIG="$gdir/gcloud" CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true \
        CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true CLOUDSDK_CORE_DISABLE_PROMPTS=1 \
        CLOUDSDK_CORE_CHECK_GCE_METADATA=false GCE_METADATA_ROOT=127.0.0.1:9 GCE_METADATA_IP=127.0.0.1:9 \
        GCE_METADATA_HOST=127.0.0.1:9 NO_PROXY='*' no_proxy='*' "$@"
}

# Every inet socket gcloud connects is a loopback one (strace -f).
only_loopback() { # GCLOUD_ARG...
    local label="gcloud $*" bad
    gcloud_env strace -f -qq -e trace=connect -o "$gdir/connect.txt" gcloud "$@" >/dev/null 2>"$gdir/strace.err" ||
        die "$label failed under strace: $(tail -n 5 "$gdir/strace.err")"
    bad=$(grep -E 'sa_family=AF_INET6?' "$gdir/connect.txt" |
        grep -vE 'inet_addr\("127\.0\.0\.1"\)|inet_pton\(AF_INET6, "::1"' || true)
    [[ -z $bad ]] || die "$label connected beyond loopback: $bad"
}

google_combine() { # GROUP: $gdir/GROUP-*.json -> $gdir/GROUP.json
    jq -s '
        def median: sort | if length % 2 == 1 then .[(length - 1) / 2]
            else (.[length / 2 - 1] + .[length / 2]) / 2 end;
        def mean: add / length;
        { results: ([.[].results[]] | group_by(.command) | map(
            (map(.times[])) as $t | ($t | mean) as $m
            | { command: .[0].command, median: ($t | median), mean: $m,
                runs: ($t | length), min: ($t | min), max: ($t | max) })) }
    ' "$gdir/$1"-*.json >"$gdir/$1.json"
}
google_median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median * 1000' "$gdir/google.json"; }
google_stat() { jq -r --arg n "$1" --arg f "$2" '.results[] | select(.command == $n) | .[$f] * (if $f == "runs" then 1 else 1000 end)' "$gdir/google.json"; }

google_bench() { # measures; writes $gdir/google.md
    mkdir -p "$gdir"
    chmod 700 "$gdir"
    if ! command -v gcloud >/dev/null; then
        printf '## Google service-account key file\n\nNot measured: no `gcloud` on this machine.\n' >"$gdir/google.md"
        log "google: no gcloud; section skipped"
        return
    fi
    google_server
    local uri="http://127.0.0.1:$google_port/token" key="$gdir/sa.json" b before
    # A key file as Google issues it, its key made for this run.
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$gdir/key.pem" 2>/dev/null
    jq -n --rawfile k "$gdir/key.pem" --arg uri "$uri" '{type: "service_account",
        project_id: "bench-project", private_key_id: "0123456789abcdef0123456789abcdef01234567",
        private_key: $k, client_email: "bench@bench-project.iam.gserviceaccount.com",
        client_id: "100000000000000000001", token_uri: $uri, universe_domain: "googleapis.com"}' >"$key"
    rm -f "$gdir/key.pem"
    chmod 600 "$key"
    # The README's Google profile, the token URL read from the key file too.
    cat >"$gdir/profiles.toml" <<EOF
[profiles.gcp]
flavour = "oauth2"
token_url = { json = { file = "$key", pointer = "/token_uri" } }
grant = "jwt_bearer"
private_key = { json = { file = "$key", pointer = "/private_key" } }
key_id = { json = { file = "$key", pointer = "/private_key_id" } }
assertion_issuer = { json = { file = "$key", pointer = "/client_email" } }
scope = "https://www.googleapis.com/auth/cloud-platform"
EOF
    local gconf=$gdir/profiles.toml
    # gettoken's token in the kernel keyring (as the `kernel` profile above).
    env -u DBUS_SESSION_BUS_ADDRESS "$bin" --config "$gconf" gcp >/dev/null ||
        die "gettoken could not fetch the Google profile's token"
    only_loopback auth activate-service-account --key-file="$key"
    rm -f "$gdir/gcloud/access_tokens.db"
    only_loopback auth print-access-token
    before=$(google_served)
    gcloud_env gcloud auth print-access-token | grep -q '^ya29\.bench-' ||
        die "gcloud printed no token of the local endpoint"
    (($(google_served) == before)) || die "gcloud's second print-access-token made a request: not its cache"
    local blocks_g=4 grun=$(((google_runs + 3) / 4)) hrun=$(((runs / 2 + 3) / 4)) crun=$(((runs / 4 + 3) / 4))
    log "google: gcloud $google_runs runs per command, gettoken $((hrun * blocks_g)) (hit) and $((crun * blocks_g)) (cold), in $blocks_g blocks"
    local hit_requests=0 at
    before=$(google_served)
    for ((b = 1; b <= blocks_g; b++)); do
        at=$(google_served)
        hyperfine -N --style basic --warmup 3 --runs "$hrun" --export-json "$gdir/google-h$b.json" \
            -n 'gettoken, cache hit' "$bin --config $gconf gcp" >"$gdir/hf.txt" ||
            die "gettoken's hit failed: $(tail -n 4 "$gdir/hf.txt")"
        hit_requests=$((hit_requests + $(google_served) - at))
        hyperfine -N --style basic --warmup 2 --runs "$crun" --export-json "$gdir/google-c$b.json" \
            -n 'gettoken --no-cache (sign + request)' "$bin --config $gconf --no-cache gcp" >"$gdir/hf.txt" ||
            die "gettoken's fetch failed: $(tail -n 4 "$gdir/hf.txt")"
        gcloud_env gcloud auth print-access-token >/dev/null # (after the last block's fetches)
        at=$(google_served)
        gcloud_env hyperfine -N --style basic --warmup 1 --runs "$grun" --export-json "$gdir/google-g$b.json" \
            -n 'gcloud auth print-access-token (its cached token)' 'gcloud auth print-access-token' \
            >"$gdir/hf.txt" || die "gcloud failed: $(tail -n 4 "$gdir/hf.txt")"
        hit_requests=$((hit_requests + $(google_served) - at))
        gcloud_env hyperfine -N --style basic --warmup 1 --runs "$grun" --export-json "$gdir/google-f$b.json" \
            --prepare "rm -f $gdir/gcloud/access_tokens.db" \
            -n 'gcloud auth print-access-token (fetching)' 'gcloud auth print-access-token' \
            >"$gdir/hf.txt" || die "gcloud failed: $(tail -n 4 "$gdir/hf.txt")"
    done
    google_combine google
    local fetched=$(($(google_served) - before))
    ((hit_requests == 0)) || die "google: the hits made $hit_requests requests: not hits"

    local hit cold g_hit g_cold
    hit=$(google_median 'gettoken, cache hit')
    cold=$(google_median 'gettoken --no-cache (sign + request)')
    g_hit=$(google_median 'gcloud auth print-access-token (its cached token)')
    g_cold=$(google_median 'gcloud auth print-access-token (fetching)')
    google_row() {
        printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$(google_fmt "$(google_median "$1")")" \
            "$(google_fmt "$(google_stat "$1" mean)")" "$(google_fmt "$(google_stat "$1" min)")" \
            "$(google_fmt "$(google_stat "$1" max)")" "$(google_stat "$1" runs)"
    }
    {
        cat <<EOF
## Google service-account key file

gettoken's Google profile (README: the key file's \`private_key\`,
\`private_key_id\`, \`client_email\` and \`token_uri\`; the RFC 7523 JWT-bearer
grant) against \`gcloud auth print-access-token\` after \`gcloud auth
activate-service-account --key-file\` with the same key file, on its own
\`CLOUDSDK_CONFIG\`. Both ask one local stand-in of Google's token endpoint
(the key file's \`token_uri\`, on 127.0.0.1; it checks the assertion's
claims as Google does); \`strace\` saw gcloud connect to nothing else. gcloud
runs without usage reports, update checks or GCE metadata probes. A fetch
signs a new RS256 assertion (2048-bit key) and sends it; gcloud's fetch
runs with its token cache (\`access_tokens.db\`) removed first. Every command
directly (\`hyperfine -N\`), in $blocks_g blocks. $fetched requests reached the
endpoint during the runs, none of them for a hit.

| command | median (ms) | mean (ms) | min (ms) | max (ms) | runs |
| --- | ---: | ---: | ---: | ---: | ---: |
$(google_row 'gettoken --no-cache (sign + request)')
$(google_row 'gettoken, cache hit')
$(google_row 'gcloud auth print-access-token (fetching)')
$(google_row 'gcloud auth print-access-token (its cached token)')

| target | measured | |
| --- | --- | --- |
| cold fetch ≤ 0.05 × gcloud fetching | $(google_ratio "$cold" "$g_cold") × | $(google_verdict "$(google_ratio "$cold" "$g_cold")" 0.05) |
| cold fetch ≤ 0.05 × gcloud with its cached token | $(google_ratio "$cold" "$g_hit") × | $(google_verdict "$(google_ratio "$cold" "$g_hit")" 0.05) |
| cache hit ≤ 0.02 × gcloud with its cached token | $(google_ratio "$hit" "$g_hit") × | $(google_verdict "$(google_ratio "$hit" "$g_hit")" 0.02) |

gcloud $(gcloud_env gcloud version 2>/dev/null | head -n1 | sed 's/^Google Cloud SDK //'); its Python starts and imports its libraries on every call, which is most of its time.
EOF
    } >"$gdir/google.md"
    log "google: cold $(google_fmt "$cold") ms vs gcloud $(google_fmt "$g_cold") ms fetching, $(google_fmt "$g_hit") ms cached; hit $(google_fmt "$hit") ms"
}

if [[ ${BENCH_ONLY:-} == google ]]; then
    google_bench
    cat "$gdir/google.md"
    [[ -z ${BENCH_OUT:-} ]] || cp "$gdir/google.md" "$BENCH_OUT"
    exit 0
fi

# --- token endpoints ------------------------------------------------------------
# examples/token_server.rs: client `demo` / `demo-secret`, one stderr line per
# request it answers (`POST /token -> 200`), so requests are counted there.
start_token_server() { # NAME EXPIRES_IN -> sets $port
    local name=$1 i
    "$BENCH_SERVER" --expires-in "$2" >"$tmp/$name.port" 2>"$tmp/$name.log" </dev/null &
    pids+=($!)
    for ((i = 0; i < 100; i++)); do
        [[ -s $tmp/$name.port ]] && break
        sleep 0.1
    done
    port=$(head -n1 "$tmp/$name.port")
    [[ $port =~ ^[0-9]+$ ]] || die "token_server $name did not start: $(cat "$tmp/$name.log")"
}
served() { grep -c 'POST /token -> 200' "$tmp/$1.log" || true; }

start_token_server hits 3600
port_hits=$port
start_token_server stampede 3600
port_stampede=$port
log "token endpoints on 127.0.0.1:$port_hits and 127.0.0.1:$port_stampede; OIDC server $iss"

config=$tmp/profiles.toml
cat >"$config" <<EOF
[defaults]
client_id = "demo"
client_secret = "demo-secret"

[profiles.kernel]
flavour = "oauth2"
token_url = "http://127.0.0.1:$port_hits/token"

[profiles.ss]
flavour = "oauth2"
token_url = "http://127.0.0.1:$port_hits/token"

[profiles.file]
flavour = "oauth2"
token_url = "http://127.0.0.1:$port_hits/token"
cache = "file"

[profiles.stampede]
flavour = "oauth2"
token_url = "http://127.0.0.1:$port_stampede/token"

[profiles.stampede-kernel]
flavour = "oauth2"
token_url = "http://127.0.0.1:$port_stampede/token"
EOF
# It holds a secret written out: keep it the user's own, as a real one
# would be (gettoken warns, on every call, when others can read such a file).
chmod 600 "$config"

# The same file with 5,000 more profiles after it (a team's file, about
# 800 KB): its `file` profile is the same, so the same cached token.
big=$tmp/profiles-5000.toml
{
    cat "$config"
    for ((i = 0; i < 5000; i++)); do
        printf '\n[profiles.team-%04d]\nflavour = "oauth2"\ntoken_url = "https://login.example-%d.com/oauth2/v2.0/token"\nclient_id = "client-%d"\nscope = ["api://app-%d/.default"]\n' \
            "$i" "$i" "$i" "$i"
    done
} >"$big"
chmod 600 "$big"
big_kb=$(($(stat -c %s "$big") / 1024))

# Each profile's token goes to its own store: with no session bus in sight
# gettoken writes to the kernel keyring; with one, to the Secret Service
# (and a read tries the kernel keyring first, microseconds, then the bus).
env -u DBUS_SESSION_BUS_ADDRESS "$bin" --config "$config" kernel >/dev/null
"$bin" --config "$config" ss >/dev/null
"$bin" --config "$config" file >/dev/null
secret-tool lookup service gettoken username token/ss >/dev/null ||
    die "the ss profile's token is not in the Secret Service"
! secret-tool lookup service gettoken username token/kernel >/dev/null 2>&1 ||
    die "the kernel profile's token went to the Secret Service"
[[ -f $XDG_CACHE_HOME/gettoken/token~file.json ]] || die "the file profile's token is not in the file cache"
log "primed: kernel keyring, Secret Service, file cache"

# --- oidc-agent: an account on the same local OIDC server ---------------------------
# A refresh token from a browser login that this script plays (the server's
# test login forms: approve the login, approve the consent), then
# `oidc-gen --rt`, the documented non-interactive way to add an account.
refresh_token() {
    local jar=$tmp/cookies redirect=http://127.0.0.1/callback verifier challenge url next code='' i
    verifier=$(head -c 48 /dev/urandom | base64 | tr -d '=+/\n')
    challenge=$(printf '%s' "$verifier" | openssl dgst -binary -sha256 | base64 | tr '+/' '-_' | tr -d '=\n')
    url="$iss/auth?client_id=agent&response_type=code&scope=openid%20offline_access&prompt=consent"
    url+="&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&code_challenge=$challenge&code_challenge_method=S256&state=bench"
    for ((i = 0; i < 10; i++)); do
        next=$(curl -sS --max-time 10 -o /dev/null -b "$jar" -c "$jar" -w '%{redirect_url}' "$url")
        case $next in
        "$redirect"*)
            code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$next")
            break
            ;;
        */interaction/*)
            url=$(curl -sS --max-time 10 -o /dev/null -b "$jar" -c "$jar" -X POST \
                -w '%{redirect_url}' "$next/approve")
            ;;
        *) die "the OIDC login went astray at $url" ;;
        esac
    done
    [[ -n $code ]] || die "the OIDC login gave no code"
    curl -sS --max-time 10 -u agent:agent-secret-Vb62Kd -d grant_type=authorization_code \
        -d "code=$code" --data-urlencode "redirect_uri=$redirect" -d "code_verifier=$verifier" \
        "$iss/token" | jq -er .refresh_token
}
rt=$(refresh_token) || die "no refresh token for oidc-agent"
agent_json=$(oidc-agent --no-autoload --json --socket-path="$tmp/oidc-agent.sock")
agent_pid=$(jq -r .dpid <<<"$agent_json")
export OIDC_SOCK
OIDC_SOCK=$(jq -r .socket <<<"$agent_json")
[[ -S $OIDC_SOCK && $agent_pid =~ ^[0-9]+$ ]] || die "oidc-agent did not start: $agent_json"
OIDC_ENCRYPTION_PW=bench-throwaway OIDC_REFRESH_TOKEN=$rt timeout 30 oidc-gen bench \
    --iss="$iss" --client-id=agent --client-secret=agent-secret-Vb62Kd --rt-env \
    --scope="openid offline_access" --pw-env --confirm-default --prompt=none --no-url-call \
    </dev/null >"$tmp/oidc-gen.log" 2>&1 || die "oidc-gen failed: $(cat "$tmp/oidc-gen.log")"
unset rt
timeout 10 oidc-token bench >/dev/null || die "oidc-token gave no token"
agent_refreshes() { curl -sS --max-time 10 "$iss/test/stats?client_id=agent" | jq '.grants.refresh_token // 0'; }
log "oidc-agent (pid $agent_pid) holds a token for account bench"

# --- cache hit ----------------------------------------------------------------------
hits_before=$(served hits)
# The machine is shared and its load drifts, and hyperfine runs all of one
# command's runs before the next command's: so each group runs in $blocks
# blocks of runs/blocks, the order of its commands reversed every other
# block, and the statistics are over all the blocks' times together.
blocks=${BENCH_BLOCKS:-10}
combine() { # GROUP: $tmp/GROUP-*.json -> $tmp/GROUP.json
    jq -s '
        def median: sort | if length % 2 == 1 then .[(length - 1) / 2]
            else (.[length / 2 - 1] + .[length / 2]) / 2 end;
        def mean: add / length;
        { results: ([.[].results[]] | group_by(.command) | map(
            (map(.times[])) as $t | ($t | mean) as $m
            | { command: .[0].command, median: ($t | median), mean: $m,
                stddev: ((($t | map((. - $m) * (. - $m)) | add) / ($t | length - 1)) | sqrt),
                min: ($t | min), max: ($t | max),
                user: (map(.user) | mean), system: (map(.system) | mean) })) }
    ' "$tmp/$1"-*.json >"$tmp/$1.json"
}
run_blocks() { # GROUP TOTAL_RUNS WARMUP HYPERFINE_OPTION... -- NAME CMD [NAME CMD]...
    local group=$1 total=$2 warm=$3 b i
    shift 3
    local -a opts=() pairs=() order
    while [[ $1 != -- ]]; do
        opts+=("$1")
        shift
    done
    shift
    pairs=("$@")
    for ((b = 1; b <= blocks; b++)); do
        order=()
        for ((i = 0; i < ${#pairs[@]}; i += 2)); do
            if ((b % 2)); then
                order+=(-n "${pairs[i]}" "${pairs[i + 1]}")
            else
                order=(-n "${pairs[i]}" "${pairs[i + 1]}" "${order[@]}")
            fi
        done
        hyperfine "${opts[@]}" --style basic --warmup "$warm" --runs "$(((total + blocks - 1) / blocks))" \
            --export-json "$tmp/$group-$b.json" "${order[@]}" >"$tmp/$group.txt" ||
            die "a $group command failed: $(tail -n 4 "$tmp/$group.txt")"
    done
    combine "$group"
}

log "cache hit: $runs runs each in $blocks blocks, each after $((warmup / blocks + 1)) warm-up runs"
run_blocks hit "$runs" "$((warmup / blocks + 1))" -N -- \
    'true' 'true' \
    'gettoken --version' "$bin --version" \
    'gettoken, kernel keyring' "$bin --config $config kernel" \
    'gettoken static (musl), kernel keyring' "$static_bin --config $config kernel" \
    'gettoken, Secret Service' "$bin --config $config ss" \
    'gettoken static (musl), Secret Service' "$static_bin --config $config ss" \
    'gettoken, file cache' "$bin --config $config file" \
    'gettoken static (musl), file cache' "$static_bin --config $config file" \
    'gettoken, file cache, 5,000 profiles' "$bin --config $big file" \
    'gettoken static (musl), file cache, 5,000 profiles' "$static_bin --config $big file" \
    'oidc-token (cached)' 'oidc-token bench' \
    'secret-tool lookup' 'secret-tool lookup service gettoken username token/ss'
hit_requests=$(($(served hits) - hits_before))
((hit_requests == 0)) || die "the cache hits made $hit_requests requests: not hits"

# --- cold fetch -----------------------------------------------------------------------
url="http://127.0.0.1:$port_hits/token"
cold_runs=$(((runs + 1) / 2))
log "cold fetch: $cold_runs runs each in $blocks blocks (through sh -c, whose start-up hyperfine subtracts)"
run_blocks cold "$cold_runs" 3 -- \
    'gettoken --no-cache' "$bin --config $config --no-cache kernel" \
    'curl | jq' "curl -s -u demo:demo-secret -d grant_type=client_credentials $url | jq -r .access_token"

# --- stampede ---------------------------------------------------------------------------
# Both tools hold a token that is an hour long; each round first makes sure a
# fresh one is cached, waits 6 s, then asks 50 times at once for one that is
# valid 3595 s more (gettoken --min-ttl, oidc-token -t): the cached token is
# past that, the one fetched is not. One request per round is the ideal.
parallel_calls() { # CMD... -> wall clock in microseconds
    local i start end failed=0 p
    local -a running=()
    : >"$tmp/parallel.err"
    start=$(date +%s%N)
    for ((i = 0; i < parallel; i++)); do
        timeout 60 "$@" >/dev/null 2>>"$tmp/parallel.err" &
        running+=($!)
    done
    for p in "${running[@]}"; do
        wait "$p" || failed=$((failed + 1))
    done
    end=$(date +%s%N)
    ((failed == 0)) || die "$failed of $parallel parallel calls failed: $(tail -n 5 "$tmp/parallel.err")"
    echo $(((end - start) / 1000))
}
# CPU time (ms) spent by the whole machine, and by the bus and the keyring
# daemon, from /proc (clock ticks): where a stampede's time goes.
ticks_ms() { # PID -> its user + system CPU so far, in ms
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$1/stat"
}
machine_ms() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%d", ($2 + $3 + $4 + $7 + $8) * 1000 / hz }' /proc/stat; }
bus_pid=$(head -n1 "$GETTOKEN_TEST_ENV_DIR/bus.pid")
keyring_pid=$(head -n1 "$GETTOKEN_TEST_ENV_DIR/keyring.pid")
[[ -r /proc/$bus_pid/stat && -r /proc/$keyring_pid/stat ]] || die "no dbus-daemon or gnome-keyring to account the CPU of"
# parallel_calls CMD..., with the CPU it cost added to the arrays named by
# $cpu_as (machine, bus, keyring), and its wall clock echoed
accounted_calls() {
    local m0 b0 k0 wall
    m0=$(machine_ms) b0=$(ticks_ms "$bus_pid") k0=$(ticks_ms "$keyring_pid")
    wall=$(parallel_calls "$@")
    printf '%s %s %s\n' "$(($(machine_ms) - m0))" "$(($(ticks_ms "$bus_pid") - b0))" "$(($(ticks_ms "$keyring_pid") - k0))" >>"$tmp/cpu.$cpu_as"
    echo "$wall"
}
gt_requests=() gt_walls=() oidc_requests=() oidc_walls=() floor_walls=()
kgt_requests=() kgt_walls=() sshit_walls=()
: >"$tmp/cpu.floor" && : >"$tmp/cpu.stampede" && : >"$tmp/cpu.sshits"
for ((r = 1; r <= rounds; r++)); do
    floor_walls+=("$(cpu_as=floor accounted_calls true)")

    "$static_bin" --config "$config" stampede --force >/dev/null
    env -u DBUS_SESSION_BUS_ADDRESS "$static_bin" --config "$config" stampede-kernel --force >/dev/null
    sleep 6
    before=$(served stampede)
    gt_walls+=("$(cpu_as=stampede accounted_calls "$static_bin" --config "$config" stampede --min-ttl 3595s)")
    gt_requests+=("$(($(served stampede) - before))")
    # The same on the kernel keyring (a headless host: CI, a container).
    before=$(served stampede)
    kgt_walls+=("$(
        unset DBUS_SESSION_BUS_ADDRESS
        parallel_calls "$static_bin" --config "$config" stampede-kernel --min-ttl 3595s
    )")
    kgt_requests+=("$(($(served stampede) - before))")
    # What 50 Secret Service reads cost with no fetch at all: the `ss`
    # profile's token is fresh. No stampede on the Secret Service can cost
    # less, since each call must read the token to see it is too old.
    before=$(served hits)
    sshit_walls+=("$(cpu_as=sshits accounted_calls "$static_bin" --config "$config" ss)")
    (($(served hits) == before)) || die "a Secret Service hit made a request"

    timeout 10 oidc-token -f bench >/dev/null
    sleep 6
    before=$(agent_refreshes)
    oidc_walls+=("$(parallel_calls oidc-token -t 3595 bench)")
    oidc_requests+=("$(($(agent_refreshes) - before))")
    log "stampede round $r: true in $((floor_walls[-1] / 1000)) ms; gettoken ${gt_requests[-1]} request(s) in $((gt_walls[-1] / 1000)) ms (kernel keyring: ${kgt_requests[-1]} in $((kgt_walls[-1] / 1000)) ms; 50 Secret Service hits $((sshit_walls[-1] / 1000)) ms); oidc-token ${oidc_requests[-1]} in $((oidc_walls[-1] / 1000)) ms"
done

# --- memory and size ---------------------------------------------------------------------
peak_kib() { # CMD... -> the largest peak RSS (KiB) of 5 runs
    local i kib max=0
    for ((i = 0; i < 5; i++)); do
        kib=$(command time -f '%M' "$@" 2>&1 >/dev/null | tail -n1)
        [[ $kib =~ ^[0-9]+$ ]] || die "no peak RSS for $*: $kib"
        ((kib > max)) && max=$kib
    done
    echo "$max"
}
mem_kernel=$(peak_kib "$bin" --config "$config" kernel)
mem_ss=$(peak_kib "$bin" --config "$config" ss)
mem_file=$(peak_kib "$bin" --config "$config" file)
mem_static_kernel=$(peak_kib "$static_bin" --config "$config" kernel)
mem_static_file=$(peak_kib "$static_bin" --config "$config" file)
mem_static_big=$(peak_kib "$static_bin" --config "$big" file)
mem_fetch=$(peak_kib "$bin" --config "$config" --no-cache kernel)
mem_oidc=$(peak_kib oidc-token bench)
mem_secret_tool=$(peak_kib secret-tool lookup service gettoken username token/ss)
mem_curl=$(peak_kib curl -s -u demo:demo-secret -d grant_type=client_credentials "$url")
curl -s -u demo:demo-secret -d grant_type=client_credentials "$url" >"$tmp/reply.json"
mem_jq=$(peak_kib jq -r .access_token "$tmp/reply.json")
size=$(stat -c %s "$bin")
static_size=$(stat -c %s "$static_bin")

# --- where a hit's time goes: counts that do not depend on the machine's load ------
# instructions executed in user space (valgrind), page faults (GNU time),
# system calls and threads started (strace -f); each of one run
profile_row() { # LABEL CMD...
    local label=$1 ir loader faults calls threads
    shift
    valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out" "$@" >/dev/null 2>&1
    ir=$(callgrind_annotate "$tmp/callgrind.out" 2>/dev/null |
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
    # the dynamic loader's share: _dl_start, inclusive of what it calls
    loader=$(callgrind_annotate --inclusive=yes "$tmp/callgrind.out" 2>/dev/null |
        awk '/:_dl_start \[/ { gsub(",", "", $1); print $1; exit }')
    faults=$(command time -f '%R' "$@" 2>&1 >/dev/null | tail -n1)
    strace -f -c -o "$tmp/strace.txt" "$@" >/dev/null 2>&1
    calls=$(awk '$NF == "total" { print $4 }' "$tmp/strace.txt")
    threads=$(awk '$NF == "clone" || $NF == "clone3" { n += $4 } END { print n + 0 }' "$tmp/strace.txt")
    LC_ALL=C printf '| %s | %d | %d | %s | %s | %s |\n' "$label" "$ir" "${loader:-0}" "$faults" "$calls" "$threads"
}
profile_rows=$(
    profile_row '`true`' true
    profile_row '`gettoken --version`' "$bin" --version
    profile_row 'gettoken, kernel keyring hit' "$bin" --config "$config" kernel
    profile_row 'gettoken, Secret Service hit' "$bin" --config "$config" ss
    profile_row 'gettoken, file cache hit' "$bin" --config "$config" file
    profile_row 'gettoken, file cache hit, 5,000 profiles' "$bin" --config "$big" file
    profile_row 'gettoken static (musl), kernel keyring hit' "$static_bin" --config "$config" kernel
    profile_row 'gettoken static (musl), Secret Service hit' "$static_bin" --config "$config" ss
    profile_row 'gettoken static (musl), file cache hit' "$static_bin" --config "$config" file
    profile_row 'gettoken static (musl), file cache hit, 5,000 profiles' "$static_bin" --config "$big" file
    profile_row '`oidc-token` (cached; the agent not counted)' oidc-token bench
    profile_row '`secret-tool lookup`' secret-tool lookup service gettoken username token/ss
)

# --- where a hit's instructions go: the static binary with its symbols ------
where() { # LABEL CMD... -> a Markdown table of the top inclusive costs
    local label=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$tmp/where.out" "$@" >/dev/null 2>&1
    echo "$label:"
    echo
    echo '| instructions, inclusive | share | function |'
    echo '| ---: | ---: | --- |'
    # `N (P%)  file:function [binary]` lines: the 25 largest, the file and
    # the binary's path dropped, `|` escaped for the table
    callgrind_annotate --inclusive=yes "$tmp/where.out" 2>/dev/null |
        awk '$1 ~ /^[0-9,]+$/ && $2 ~ /^\(.*%\)$/ && !/PROGRAM TOTALS/ {
                n = $1; p = $2; gsub(/[()]/, "", p)
                $1 = ""; $2 = ""; f = $0
                sub(/^ +/, "", f); sub(/ \[[^]]*\]$/, "", f); sub(/^[^:]*:/, "", f)
                gsub(/\|/, "\\|", f)
                printf "| %s | %s | `%s` |\n", n, p, f
                if (++rows == 25) exit
            }'
    echo
}
where_rows=$(
    where 'kernel-keyring hit, static' "$BENCH_PROFILING_BIN" --config "$config" kernel
    where 'file-cache hit with 5,000 profiles, static' "$BENCH_PROFILING_BIN" --config "$big" file
)
load_end=$(load)

# --- Google service-account key file (its section is defined above) ---------
google_bench

# ============================================================================
# BENCHMARKS.md
# ============================================================================
# median in ms, with 2 decimals, of the command named $2 in $1.json
median() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .median * 1000' "$tmp/$1.json"; }
stat_of() { jq -r --arg n "$2" --arg f "$3" '.results[] | select(.command == $n) | .[$f] * 1000' "$tmp/$1.json"; }
fmt() { LC_ALL=C printf '%.2f' "$1"; }
ratio() { LC_ALL=C awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
le() { LC_ALL=C awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { if "$@"; then echo "met"; else echo "**not met**"; fi; }
sorted_median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

m_true=$(median hit 'true')
m_version=$(median hit 'gettoken --version')
m_kernel=$(median hit 'gettoken, kernel keyring')
m_ss=$(median hit 'gettoken, Secret Service')
m_sss=$(median hit 'gettoken static (musl), Secret Service')
m_file=$(median hit 'gettoken, file cache')
m_oidc=$(median hit 'oidc-token (cached)')
m_st=$(median hit 'secret-tool lookup')
m_cold=$(median cold 'gettoken --no-cache')
m_curl=$(median cold 'curl | jq')
gt_wall=$(sorted_median "${gt_walls[@]}")
oidc_wall=$(sorted_median "${oidc_walls[@]}")
floor_wall=$(sorted_median "${floor_walls[@]}")
floor_wall_ms=$(LC_ALL=C awk -v u="$floor_wall" 'BEGIN { printf "%.1f", u / 1000 }')
gt_wall_ms=$(LC_ALL=C awk -v u="$gt_wall" 'BEGIN { printf "%.1f", u / 1000 }')
oidc_wall_ms=$(LC_ALL=C awk -v u="$oidc_wall" 'BEGIN { printf "%.1f", u / 1000 }')
kgt_wall=$(sorted_median "${kgt_walls[@]}")
sshit_wall=$(sorted_median "${sshit_walls[@]}")
kgt_wall_ms=$(LC_ALL=C awk -v u="$kgt_wall" 'BEGIN { printf "%.1f", u / 1000 }')
sshit_wall_ms=$(LC_ALL=C awk -v u="$sshit_wall" 'BEGIN { printf "%.1f", u / 1000 }')
# the median over the rounds of column N of $tmp/cpu.KIND
cpu_median() { sorted_median $(awk -v n="$2" '{ print $n }' "$tmp/cpu.$1"); }
stampede_ok=1
for n in "${gt_requests[@]}" "${kgt_requests[@]}"; do ((n == 1)) || stampede_ok=0; done
# (the release artifact's hits: the static binary's)
mem_hit=$mem_static_kernel
((mem_static_file > mem_hit)) && mem_hit=$mem_static_file
((mem_static_big > mem_hit)) && mem_hit=$mem_static_big
m_skernel=$(median hit 'gettoken static (musl), kernel keyring')
m_sfile=$(median hit 'gettoken static (musl), file cache')
m_sbig=$(median hit 'gettoken static (musl), file cache, 5,000 profiles')
m_big=$(median hit 'gettoken, file cache, 5,000 profiles')
# instructions of a profile row, by its label
ir_of() { awk -F' [|] ' -v l="$1" '$1 == "| " l { print $2 }' <<<"$profile_rows"; }
ir_oidc=$(ir_of '`oidc-token` (cached; the agent not counted)')
ir_skernel=$(ir_of 'gettoken static (musl), kernel keyring hit')
ir_sfile=$(ir_of 'gettoken static (musl), file cache hit')
ir_sbig=$(ir_of 'gettoken static (musl), file cache hit, 5,000 profiles')
ir_true=$(ir_of '`true`')
mib() { LC_ALL=C awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

cpu_of() { jq -r --arg n "$2" '.results[] | select(.command == $n) | (.user + .system) * 1000' "$tmp/$1.json"; }
hit_row() { # NAME -> | name | median | x true | mean ± sd | min | max | cpu |
    local n=$1 med
    med=$(median hit "$n")
    printf '| %s | %s | %s | %s ± %s | %s | %s | %s |\n' "$n" "$(fmt "$med")" "$(ratio "$med" "$m_true")" \
        "$(fmt "$(stat_of hit "$n" mean)")" "$(fmt "$(stat_of hit "$n" stddev)")" \
        "$(fmt "$(stat_of hit "$n" min)")" "$(fmt "$(stat_of hit "$n" max)")" "$(fmt "$(cpu_of hit "$n")")"
}
cold_row() {
    local n=$1
    printf '| %s | %s | %s ± %s | %s | %s |\n' "${n//|/\\|}" "$(fmt "$(median cold "$n")")" \
        "$(fmt "$(stat_of cold "$n" mean)")" "$(fmt "$(stat_of cold "$n" stddev)")" \
        "$(fmt "$(stat_of cold "$n" min)")" "$(fmt "$(stat_of cold "$n" max)")"
}
version_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
os=$(. /etc/os-release && echo "$PRETTY_NAME")

{
    cat <<EOF
# Benchmarks

Generated by \`bench/run.sh\`; do not edit by hand. Reproduce, as root on
Debian 12 from a clone of this repository (it installs what it needs,
builds the release binary and starts every endpoint on 127.0.0.1):

\`\`\`sh
bench/run.sh
\`\`\`

Run of $(date -u '+%Y-%m-%d %H:%M UTC'); $runs runs per command for cache hits,
$cold_runs for cold fetches, each group in $blocks blocks (the order of its
commands reversed every other block, so a drift in the machine's load falls
on all of them alike); $rounds stampede rounds. Medians are the claim; every
ratio is between medians of the same run.

## Cache hit

What a script pays each time it asks for a token that is cached. Every
command runs directly (\`hyperfine -N\`, no shell). \`secret-tool lookup\`
reads the very item gettoken's \`ss\` profile reads; \`oidc-token\` asks a
running oidc-agent that holds a valid token for an account on the local
OIDC server. None of them made a request ($hit_requests requests during the
runs).

CPU is the command's own (hyperfine's user + system), not that of the agent
or keyring daemon it asks.

| command | median (ms) | × \`true\` | mean ± σ (ms) | min (ms) | max (ms) | CPU, user + system, mean (ms) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
    for n in 'true' 'gettoken --version' 'gettoken, kernel keyring' \
        'gettoken static (musl), kernel keyring' 'gettoken, Secret Service' \
        'gettoken static (musl), Secret Service' \
        'gettoken, file cache' 'gettoken static (musl), file cache' \
        'gettoken, file cache, 5,000 profiles' 'gettoken static (musl), file cache, 5,000 profiles' \
        'oidc-token (cached)' 'secret-tool lookup'; do
        hit_row "$n"
    done
    cat <<EOF

Ratios of medians, gettoken against each alternative (below 1: gettoken is faster):

| gettoken on | × \`oidc-token\` | × \`secret-tool lookup\` | × \`true\` | × \`gettoken --version\` |
| --- | ---: | ---: | ---: | ---: |
| the kernel keyring | $(ratio "$m_kernel" "$m_oidc") | $(ratio "$m_kernel" "$m_st") | $(ratio "$m_kernel" "$m_true") | $(ratio "$m_kernel" "$m_version") |
| the Secret Service | $(ratio "$m_ss" "$m_oidc") | $(ratio "$m_ss" "$m_st") | $(ratio "$m_ss" "$m_true") | $(ratio "$m_ss" "$m_version") |
| the file cache | $(ratio "$m_file" "$m_oidc") | $(ratio "$m_file" "$m_st") | $(ratio "$m_file" "$m_true") | $(ratio "$m_file" "$m_version") |
| the kernel keyring, static | $(ratio "$m_skernel" "$m_oidc") | $(ratio "$m_skernel" "$m_st") | $(ratio "$m_skernel" "$m_true") | $(ratio "$m_skernel" "$m_version") |
| the Secret Service, static | $(ratio "$m_sss" "$m_oidc") | $(ratio "$m_sss" "$m_st") | $(ratio "$m_sss" "$m_true") | $(ratio "$m_sss" "$m_version") |
| the file cache, static | $(ratio "$m_sfile" "$m_oidc") | $(ratio "$m_sfile" "$m_st") | $(ratio "$m_sfile" "$m_true") | $(ratio "$m_sfile" "$m_version") |

With 5,000 profiles in the file ($big_kb KB) a file-cache hit takes
$(ratio "$m_big" "$m_file") × the one with the small file (dynamic), $(ratio "$m_sbig" "$m_sfile") × (static): a
hit reads only its profile's tables and \`[defaults]\` (src/config/scan.rs).

\`gettoken --version\` is the start-up of gettoken's own binary (loading,
relocation, argument parsing) doing nothing else; \`true\` is the floor of
any process.

Where a hit's time goes, in counts that do not depend on the machine's load
(one run each; the processes a command talks to are not counted):

| command | instructions (user space) | of which the dynamic loader | page faults | system calls | threads started |
| --- | ---: | ---: | ---: | ---: | ---: |
$profile_rows

## Where a hit's instructions go

callgrind on the static binary built with its symbols (\`cargo build
--profile profiling --target x86_64-unknown-linux-musl\`: the release
build, not stripped); a function's count includes what it calls, and fat
LTO has inlined much into its callers. The floor, \`true\`, is
$ir_true instructions.

$where_rows

## Cold fetch

A request to the same local token endpoint (examples/token_server.rs) and
the token printed. Both through \`sh -c\` (the pipe needs a shell), whose
start-up hyperfine measures and subtracts.

| command | median (ms) | mean ± σ (ms) | min (ms) | max (ms) |
| --- | ---: | ---: | ---: | ---: |
$(cold_row 'gettoken --no-cache')
$(cold_row 'curl | jq')

\`gettoken --no-cache\` × \`curl | jq\`: **$(ratio "$m_cold" "$m_curl")**.

## Stampede

$parallel calls at once, each wanting a token valid for 3595 s more than the
cached one has left (\`gettoken --min-ttl 3595s\`, \`oidc-token -t 3595\`;
both endpoints issue tokens for an hour, and the cached one is 6 s old).
Requests counted at the endpoint: examples/token_server.rs's log for
gettoken, the OIDC server's refresh grants for oidc-agent. Wall clock from
the first start to the last exit, including the shell's forks.

| tool | requests per round | wall clock, median of $rounds (ms) | × the floor |
| --- | --- | ---: | ---: |
| gettoken, Secret Service | ${gt_requests[*]} | $gt_wall_ms | $(ratio "$gt_wall" "$floor_wall") |
| gettoken, kernel keyring (no session bus: CI, containers) | ${kgt_requests[*]} | $kgt_wall_ms | $(ratio "$kgt_wall" "$floor_wall") |
| oidc-token (oidc-agent) | ${oidc_requests[*]} | $oidc_wall_ms | $(ratio "$oidc_wall" "$floor_wall") |
| 50 gettoken cache hits on the Secret Service, no fetch (the least a stampede there can cost) | 0 | $sshit_wall_ms | $(ratio "$sshit_wall" "$floor_wall") |
| \`true\`, started the same way (the floor) | | $floor_wall_ms | 1.00 |

gettoken (the static binary) × the floor: **$(ratio "$gt_wall" "$floor_wall")** on the
Secret Service, **$(ratio "$kgt_wall" "$floor_wall")** on the kernel keyring. The one call
that fetches proves and writes the store; the other 49 wait in flock(2) until the
profile's lock is let go (a shared lock, granted to all at once), then read the new
token side by side.

Where the time goes on the Secret Service: every call reads the cached token first,
to see it is too old, on a D-Bus connection of its own through dbus-daemon to
gnome-keyring (authentication, \`Hello\`, a session, a search, the secret: what 50
hits cost too); a waiter reads the new token after the wait on that same connection,
the item it found asked again (one round trip), and the one that fetched writes on
its own. So the stampede costs 50 hits and 49 short reads, a fetch and a write;
the hits alone are the least it can cost. CPU of the whole machine while the 50 calls
ran (median of the rounds; $(nproc) cores, so the wall clock is about half of it):

| what ran | wall (ms) | CPU, machine (ms) | of it dbus-daemon (ms) | of it gnome-keyring (ms) |
| --- | ---: | ---: | ---: | ---: |
| 50 \`true\` (the floor) | $floor_wall_ms | $(cpu_median floor 1) | $(cpu_median floor 2) | $(cpu_median floor 3) |
| 50 gettoken hits on the Secret Service | $sshit_wall_ms | $(cpu_median sshits 1) | $(cpu_median sshits 2) | $(cpu_median sshits 3) |
| the stampede on the Secret Service | $gt_wall_ms | $(cpu_median stampede 1) | $(cpu_median stampede 2) | $(cpu_median stampede 3) |

A Secret Service hit alone costs $(fmt "$(cpu_of hit 'gettoken static (musl), Secret Service')") ms of CPU in gettoken (static) (\`true\`: $(fmt "$(cpu_of hit 'true')") ms),
and the daemons' share besides. The floor itself keeps both cores busy (it starts
100 processes), so every millisecond of CPU a call adds shows in the wall clock.

## Memory and size

Peak resident set (largest of 5 runs, GNU time's \`%M\`):

| what | peak RSS (MiB) |
| --- | ---: |
| gettoken cache hit, kernel keyring | $(mib "$mem_kernel") |
| gettoken cache hit, Secret Service | $(mib "$mem_ss") |
| gettoken cache hit, file cache | $(mib "$mem_file") |
| gettoken static (musl) cache hit, kernel keyring | $(mib "$mem_static_kernel") |
| gettoken static (musl) cache hit, file cache | $(mib "$mem_static_file") |
| gettoken static (musl) cache hit, file cache, 5,000 profiles | $(mib "$mem_static_big") |
| gettoken fetch (\`--no-cache\`) | $(mib "$mem_fetch") |
| oidc-token (cached) | $(mib "$mem_oidc") |
| secret-tool lookup | $(mib "$mem_secret_tool") |
| curl (the fetch) | $(mib "$mem_curl") |
| jq (the parse) | $(mib "$mem_jq") |

The gettoken binaries (release profile, stripped): static (musl) $(mib "$((static_size / 1024))") MiB
($static_size bytes), dynamic (glibc) $(mib "$((size / 1024))") MiB ($size bytes).

## Targets

| target | measured | |
| --- | --- | --- |
| 1. kernel-keyring hit ≤ 1.5 × \`true\` (wall, median) | $(ratio "$m_skernel" "$m_true") × | $(verdict le "$(ratio "$m_skernel" "$m_true")" 1.5) |
| 1. file-cache hit ≤ 1.5 × \`true\` (wall, median) | $(ratio "$m_sfile" "$m_true") × | $(verdict le "$(ratio "$m_sfile" "$m_true")" 1.5) |
| 1. kernel-keyring hit ≤ 0.4 × \`oidc-token\`'s instructions | $(ratio "$ir_skernel" "$ir_oidc") × | $(verdict le "$(ratio "$ir_skernel" "$ir_oidc")" 0.4) |
| 1. file-cache hit ≤ 0.4 × \`oidc-token\`'s instructions | $(ratio "$ir_sfile" "$ir_oidc") × | $(verdict le "$(ratio "$ir_sfile" "$ir_oidc")" 0.4) |
| 2. file-cache hit with 5,000 profiles ($big_kb KB) ≤ 1.3 × with one (wall, median) | $(ratio "$m_sbig" "$m_sfile") × (instructions $(ratio "$ir_sbig" "$ir_sfile") ×) | $(verdict le "$(ratio "$m_sbig" "$m_sfile")" 1.3) |
| 3. Secret Service hit ≤ 0.35 × \`secret-tool lookup\` | $(ratio "$m_sss" "$m_st") × (dynamic build: $(ratio "$m_ss" "$m_st") ×) | $(verdict le "$(ratio "$m_sss" "$m_st")" 0.35) |
| 4. cold fetch ≤ 0.3 × \`curl \| jq\` | $(ratio "$m_cold" "$m_curl") × | $(verdict le "$(ratio "$m_cold" "$m_curl")" 0.3) |
| 5. stampede: exactly 1 request | Secret Service ${gt_requests[*]}; kernel keyring ${kgt_requests[*]} | $(verdict test "$stampede_ok" = 1) |
| 5. stampede: wall ≤ 2 × $parallel \`true\` started the same way, Secret Service | $(ratio "$gt_wall" "$floor_wall") × | $(verdict le "$(ratio "$gt_wall" "$floor_wall")" 2) |
| 5. stampede: wall ≤ 2 × $parallel \`true\` started the same way, kernel keyring | $(ratio "$kgt_wall" "$floor_wall") × | $(verdict le "$(ratio "$kgt_wall" "$floor_wall")" 2) |
| 6. peak RSS of a cache hit < 4 MiB | $(mib "$mem_hit") MiB | $(verdict test "$mem_hit" -lt 4096) |
| 6. binary size (reported) | static $(mib "$((static_size / 1024))") MiB, dynamic $(mib "$((size / 1024))") MiB | |

The hits of targets 1, 2, 3 and 6 are the static binary's, the Linux
release artifact; the dynamic build's are beside them in the tables above.
\`true\`, a process that does nothing, takes $(fmt "$m_true") ms here, and
\`gettoken --version\` $(fmt "$m_version") ms. Where the instructions of a
hit go: see *Where a hit's instructions go*; where a stampede's time goes: see
*Stampede*, its CPU table (target 5 on the Secret Service: 50 hits alone, with no
fetch and no wait, take the least any stampede there can).

$(cat "$gdir/google.md")

## Machine and versions

| | |
| --- | --- |
| machine | $cpu, $(nproc) cores, $mem_total; $os, Linux $(uname -r) |
| load average (1, 5, 15 min) | $load_start at the start, $load_end at the end |
| gettoken | $("$bin" --version) ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ', with local changes')), release profile |
| rustc | $BENCH_RUSTC |
| hyperfine | $(hyperfine --version) |
| oidc-agent | $(version_of oidc-agent-cli) (Debian \`oidc-agent-cli\`) |
| libsecret-tools (secret-tool) | $(version_of libsecret-tools) |
| gnome-keyring | $(version_of gnome-keyring) |
| curl | $(curl --version | head -n1 | cut -d' ' -f1-2) |
| jq | $(jq --version) |
| OIDC server | oidc-provider $(jq -r .version "$root/tests/oidc/node_modules/oidc-provider/package.json" 2>/dev/null || echo '?') on node $(node --version) |
EOF
} >"$out.tmp"
mv "$out.tmp" "$out"
log "wrote $out"
sed -n '/^## Targets/,/^## Machine/p' "$out" | sed '$d' >&2
