#!/usr/bin/env bash
# scripts/test-env.sh: the real keyring components gettoken's tests need,
# isolated from any login keyring of the user running them.
#
# Two ways to use it:
#
#   scripts/test-env.sh CMD [ARGS...]     (exec mode)
#       Starts everything, runs CMD inside a fresh kernel session keyring
#       (`keyctl session - CMD`, in a new user namespace where possible so the
#       persistent keyring is fresh too), then stops everything and removes the
#       temporary directory, whatever way CMD ends. Exits with CMD's status.
#
#   source scripts/test-env.sh            (source mode, bash only)
#       Starts everything and exports the variables into the current shell.
#       Nothing is stopped automatically: call `gettoken_test_env_stop` when
#       done (scripts/test.sh does it from its EXIT trap). Run commands that
#       use the kernel keyring as `gettoken_test_env_run CMD...`, which wraps
#       them in `keyctl session -` the way exec mode does.
#
# What it starts:
#   * a private D-Bus session bus (its own config: no service activation, so
#     nothing the tests do can auto-start a second, locked gnome-keyring);
#   * gnome-keyring-daemon --components=secrets on that bus, unlocked with a
#     throwaway password, with HOME/XDG_* in a temporary directory so no real
#     keyring file is read or written; `--unlock` creates the `login`
#     collection (see docs/PLATFORM.md);
#   * optionally the OIDC test server under tests/oidc/ (see the hook below);
#     a no-op while that directory has no package.json.
# It waits (bounded) until org.freedesktop.secrets is owned and proves the
# store works with secret-tool store/lookup/clear before returning.
#
# What it exports:
#   DBUS_SESSION_BUS_ADDRESS        the private bus
#   GETTOKEN_TEST_DBUS              the same address
#   GETTOKEN_TEST_SECRET_SERVICE=1  an unlocked Secret Service is on that bus
#   GETTOKEN_TEST_ENV_DIR           the temporary directory (pids, logs)
#   GETTOKEN_TEST_OIDC_ISSUER       http://127.0.0.1:PORT, only when the
#                                   OIDC server was started
#   GETTOKEN_TEST_OIDC_KEYS         the directory holding its private_key_jwt
#                                   clients' keys (with the issuer)
#   GETTOKEN_TEST_KEYUTILS=1        only inside `keyctl session -` (exec mode
#                                   / gettoken_test_env_run): the command has
#                                   a fresh session keyring of its own
#
# It is idempotent: when the variables above already point at a live
# Secret Service (e.g. sourced twice, or test.sh run from a shell that sourced
# this file), it reuses it and, in exec mode, does not stop what it did not
# start.
#
# Settings (environment):
#   GETTOKEN_TEST_NO_KEYCTL=1   do not wrap commands in `keyctl session -`
#                               (for hosts whose seccomp profile blocks keyctl,
#                               e.g. Docker's default; keyutils tests then see
#                               no GETTOKEN_TEST_KEYUTILS and should skip).
#   GETTOKEN_TEST_NO_USERNS=1   do not run commands in a new user namespace
#                               (by default they are, when `unshare --user
#                               --map-current-user` works, since the kernel's
#                               persistent keyring is per user and namespace,
#                               not per session: without it, keys the tests
#                               leave there land in the user's real one).
#   GETTOKEN_TEST_WAIT=SECONDS  bound for each wait (default 10).
#
# Fails loudly (message on stderr, non-zero status) when a component cannot
# start. Needs: dbus-daemon, dbus-send (dbus), gnome-keyring-daemon
# (gnome-keyring), secret-tool (libsecret-tools), keyctl (keyutils).

# ---------------------------------------------------------------------------
# helpers (all names prefixed, since this file may be sourced)

_gte_log() { printf 'test-env: %s\n' "$*" >&2; }
_gte_fail() { printf 'test-env: ERROR: %s\n' "$*" >&2; return 1; }

_gte_secrets_owned() {
    # true when org.freedesktop.secrets has an owner on the current bus
    local out
    out=$(timeout 5 dbus-send --session --dest=org.freedesktop.DBus --print-reply \
        /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
        string:org.freedesktop.secrets 2>/dev/null) || return 1
    [[ $out == *"boolean true"* ]]
}

_gte_pid_alive() {
    [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
    # a zombie (dead, not yet reaped by its parent) counts as gone
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# Runs "$@" until it succeeds or GETTOKEN_TEST_WAIT seconds pass.
_gte_wait_for() {
    local limit=$(( ${GETTOKEN_TEST_WAIT:-10} * 10 )) i=0
    until "$@"; do
        i=$((i + 1))
        (( i >= limit )) && return 1
        sleep 0.1
    done
}

_gte_check_tools() {
    local t missing=()
    for t in dbus-daemon dbus-send gnome-keyring-daemon secret-tool keyctl timeout; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    if ((${#missing[@]})); then
        _gte_fail "missing tools: ${missing[*]}
  install them with: apt-get install -y gnome-keyring dbus libsecret-tools keyutils"
        return 1
    fi
}

# ---------------------------------------------------------------------------
# the private session bus

_gte_start_bus() {
    local dir=$GETTOKEN_TEST_ENV_DIR
    cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <!-- gettoken test bus: private, no service activation (no servicedir),
       so a client can never auto-start a second (locked) keyring daemon. -->
  <type>session</type>
  <listen>unix:dir=$dir</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
    if ! dbus-daemon --config-file="$dir/bus.conf" --fork \
        --print-address=3 --print-pid=4 \
        3>"$dir/bus.address" 4>"$dir/bus.pid" 2>"$dir/bus.log"; then
        _gte_fail "dbus-daemon failed to start: $(cat "$dir/bus.log" 2>/dev/null)"
        return 1
    fi
    local addr pid
    addr=$(head -n1 "$dir/bus.address")
    pid=$(head -n1 "$dir/bus.pid")
    if [[ -z $addr ]] || ! _gte_pid_alive "$pid"; then
        _gte_fail "dbus-daemon did not report an address/pid: $(cat "$dir/bus.log" 2>/dev/null)"
        return 1
    fi
    export DBUS_SESSION_BUS_ADDRESS=$addr
    _gte_log "session bus up (pid $pid): $addr"
}

# ---------------------------------------------------------------------------
# gnome-keyring, secrets component, unlocked

_gte_start_keyring() {
    local dir=$GETTOKEN_TEST_ENV_DIR
    local home=$dir/home
    mkdir -p "$home/.local/share" "$home/.config" "$home/.cache" "$dir/run"
    chmod 700 "$home" "$dir/run"
    # The daemon forks and returns at once; its output goes to files so that
    # nothing holds the caller's pipes open.
    if ! printf '%s' "gettoken-test-password" | env -u GNOME_KEYRING_CONTROL \
        HOME="$home" \
        XDG_DATA_HOME="$home/.local/share" \
        XDG_CONFIG_HOME="$home/.config" \
        XDG_CACHE_HOME="$home/.cache" \
        XDG_RUNTIME_DIR="$dir/run" \
        DBUS_SESSION_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS" \
        gnome-keyring-daemon --replace --unlock --components=secrets \
        >"$dir/keyring.out" 2>"$dir/keyring.log"; then
        _gte_fail "gnome-keyring-daemon failed: $(cat "$dir/keyring.log")"
        return 1
    fi
    # --unlock returns before the daemon owns its name: wait for it, bounded.
    if ! _gte_wait_for _gte_secrets_owned; then
        _gte_fail "org.freedesktop.secrets did not appear on the test bus within ${GETTOKEN_TEST_WAIT:-10}s; gnome-keyring-daemon said:
$(cat "$dir/keyring.out" "$dir/keyring.log" 2>/dev/null)"
        return 1
    fi
    local pid
    pid=$(timeout 5 dbus-send --session --dest=org.freedesktop.DBus --print-reply=literal \
        /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID \
        string:org.freedesktop.secrets 2>/dev/null | awk '{print $NF}')
    [[ -n $pid ]] && printf '%s\n' "$pid" >"$dir/keyring.pid"
    _gte_log "gnome-keyring secrets component up (pid ${pid:-?}), login collection unlocked"
}

# Proves the store is usable: store, look up, clear a throwaway item.
_gte_probe_secret_service() {
    local attr=gettoken-test-env-probe val="probe-$$-$RANDOM" got
    if ! printf '%s' "$val" | timeout 10 secret-tool store --label="gettoken test-env probe" \
        "$attr" "$$" 2>"$GETTOKEN_TEST_ENV_DIR/probe.log"; then
        _gte_fail "secret-tool store failed on the test keyring: $(cat "$GETTOKEN_TEST_ENV_DIR/probe.log")"
        return 1
    fi
    got=$(timeout 10 secret-tool lookup "$attr" "$$" 2>>"$GETTOKEN_TEST_ENV_DIR/probe.log") || true
    if [[ $got != "$val" ]]; then
        _gte_fail "secret-tool lookup returned the wrong value on the test keyring"
        return 1
    fi
    if ! timeout 10 secret-tool clear "$attr" "$$" 2>>"$GETTOKEN_TEST_ENV_DIR/probe.log"; then
        _gte_fail "secret-tool clear failed on the test keyring"
        return 1
    fi
    if timeout 10 secret-tool lookup "$attr" "$$" >/dev/null 2>&1; then
        _gte_fail "secret-tool clear did not remove the probe item"
        return 1
    fi
    _gte_log "secret-tool store/lookup/clear OK"
}

# ---------------------------------------------------------------------------
# >>> OIDC test server hook <<<
# A no-op until tests/oidc/package.json exists. Then: `npm ci` in tests/oidc
# (`npm install` when there is no package-lock.json yet), start
#     node tests/oidc/server.js
# with these environment variables, which server.js must honour:
#     OIDC_HOST=127.0.0.1    address to bind
#     OIDC_PORT=0            port to bind (0: any free port)
#     OIDC_PORT_FILE=PATH    once listening, write the port number there
#                            (write a temp file and rename it, so the file is
#                            never seen half written)
#     OIDC_KEY_DIR=PATH      where it writes its clients' private keys
# wait (bounded) for the port file, and export
#     GETTOKEN_TEST_OIDC_ISSUER=http://127.0.0.1:PORT
#     GETTOKEN_TEST_OIDC_KEYS=DIR   client-rs256.pem, client-es256.pem
# The server is killed by gettoken_test_env_stop. Its log: $GETTOKEN_TEST_ENV_DIR/oidc.log
_gte_start_oidc() {
    local root=$1
    local oidc=$root/tests/oidc
    [[ -f $oidc/package.json ]] || return 0
    local dir=$GETTOKEN_TEST_ENV_DIR
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        _gte_fail "tests/oidc needs node and npm (apt-get install -y nodejs npm)"
        return 1
    fi
    [[ -f $oidc/server.js ]] || { _gte_fail "tests/oidc/server.js is missing"; return 1; }
    local npm_cmd=(npm ci)
    [[ -f $oidc/package-lock.json ]] || npm_cmd=(npm install)
    _gte_log "OIDC server: ${npm_cmd[*]} in tests/oidc"
    if ! (cd "$oidc" && timeout 300 "${npm_cmd[@]}" --no-audit --no-fund --loglevel=error) \
        >"$dir/npm.log" 2>&1; then
        _gte_fail "${npm_cmd[*]} failed in tests/oidc:
$(tail -n 30 "$dir/npm.log")"
        return 1
    fi
    rm -f "$dir/oidc.port"
    OIDC_HOST=127.0.0.1 OIDC_PORT=0 OIDC_PORT_FILE="$dir/oidc.port" OIDC_KEY_DIR="$dir" \
        node "$oidc/server.js" >"$dir/oidc.log" 2>&1 </dev/null &
    local pid=$!
    printf '%s\n' "$pid" >"$dir/oidc.pid"
    _gte_oidc_ready() { [[ -s $GETTOKEN_TEST_ENV_DIR/oidc.port ]] || { _gte_pid_alive "$1" || return 2; return 1; }; }
    local limit=$(( ${GETTOKEN_TEST_WAIT:-10} * 10 )) i=0 rc
    while :; do
        _gte_oidc_ready "$pid"; rc=$?
        (( rc == 0 )) && break
        if (( rc == 2 )); then
            _gte_fail "node tests/oidc/server.js exited before listening:
$(tail -n 30 "$dir/oidc.log")"
            return 1
        fi
        i=$((i + 1))
        if (( i >= limit )); then
            _gte_fail "node tests/oidc/server.js wrote no port file within ${GETTOKEN_TEST_WAIT:-10}s:
$(tail -n 30 "$dir/oidc.log")"
            return 1
        fi
        sleep 0.1
    done
    local port
    port=$(tr -dc '0-9' <"$dir/oidc.port")
    [[ -n $port ]] || { _gte_fail "tests/oidc port file holds no port"; return 1; }
    export GETTOKEN_TEST_OIDC_ISSUER="http://127.0.0.1:$port"
    export GETTOKEN_TEST_OIDC_KEYS=$dir
    _gte_log "OIDC server up (pid $pid): $GETTOKEN_TEST_OIDC_ISSUER"
}
# <<< OIDC test server hook >>>

# ---------------------------------------------------------------------------
# public functions

# Stops what this file started (in this shell) and removes its directory.
gettoken_test_env_stop() {
    local dir=${GETTOKEN_TEST_ENV_DIR:-}
    [[ -n $dir && -d $dir && ${_GTE_OWNER:-} == "$$" ]] || return 0
    local f pid
    for f in oidc keyring bus; do
        [[ -f $dir/$f.pid ]] || continue
        pid=$(head -n1 "$dir/$f.pid")
        _gte_pid_alive "$pid" && kill "$pid" 2>/dev/null
    done
    # give them a moment, then insist
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        local alive=0
        for f in oidc keyring bus; do
            [[ -f $dir/$f.pid ]] && _gte_pid_alive "$(head -n1 "$dir/$f.pid")" && alive=1
        done
        ((alive)) || break
        sleep 0.1
    done
    for f in oidc keyring bus; do
        [[ -f $dir/$f.pid ]] || continue
        pid=$(head -n1 "$dir/$f.pid")
        _gte_pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    rm -rf "$dir"
    unset GETTOKEN_TEST_ENV_DIR GETTOKEN_TEST_DBUS GETTOKEN_TEST_SECRET_SERVICE \
        GETTOKEN_TEST_OIDC_ISSUER GETTOKEN_TEST_OIDC_KEYS _GTE_OWNER
    if [[ -n ${_GTE_PREV_DBUS+x} ]]; then
        export DBUS_SESSION_BUS_ADDRESS=$_GTE_PREV_DBUS
    else
        unset DBUS_SESSION_BUS_ADDRESS
    fi
    unset _GTE_PREV_DBUS
    _gte_log "stopped"
    return 0
}

# Whether `unshare --user` works here (cached): a new user namespace has its
# own kernel persistent keyring, which `keyctl session -` alone does not give.
_gte_userns_ok() {
    if [[ -z ${_GTE_USERNS:-} ]]; then
        if [[ ${GETTOKEN_TEST_NO_USERNS:-} != 1 ]] && command -v unshare >/dev/null 2>&1 &&
            unshare --user --map-current-user true 2>/dev/null; then
            _GTE_USERNS=1
        else
            _GTE_USERNS=0
            [[ ${GETTOKEN_TEST_NO_USERNS:-} == 1 ]] ||
                _gte_log "note: no user namespace (unshare --user --map-current-user failed): keys the tests put in the kernel persistent keyring land in this user's real one"
        fi
    fi
    [[ $_GTE_USERNS == 1 ]]
}

# Runs "$@" in a new user namespace that maps the current user as itself
# and, where newuidmap allows it (scripts/install-deps.sh, as root, allows
# it), nobody (65534) too, so tests can plant files another user owns.
# `unshare --map-users` takes one range only: the maps are written from
# here (newuidmap) while the namespace's first process waits for them.
_gte_in_userns() {
    local uid gid pid
    uid=$(id -u)
    gid=$(id -g)
    if [[ $uid == 65534 ]] || ! command -v newuidmap >/dev/null 2>&1 ||
        ! grep -qs "^$(id -un):65534:1\$" /etc/subuid; then
        unshare --user --map-current-user "$@"
        return
    fi
    # shellcheck disable=SC2016
    unshare --user sh -c 'n=0; while [ -z "$(cat /proc/self/uid_map)" ] && [ $n -lt 500 ]; do
        sleep 0.01; n=$((n + 1)); done; exec "$@"' sh "$@" &
    pid=$!
    # Only once `unshare` has made its namespace: before that, newuidmap
    # would write to ours, fail, and the suite would run without nobody.
    local own n=0
    own=$(readlink /proc/self/ns/user)
    while [[ $(readlink "/proc/$pid/ns/user" 2>/dev/null || echo "$own") == "$own" ]] && ((n < 500)); do
        sleep 0.01
        n=$((n + 1))
    done
    if ! newuidmap "$pid" "$uid" "$uid" 1 65534 65534 1 2>/dev/null ||
        ! newgidmap "$pid" "$gid" "$gid" 1 65534 65534 1 2>/dev/null; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        unshare --user --map-current-user "$@"
        return
    fi
    wait "$pid"
}

# Runs "$@" with a kernel keyring of its own: a fresh session keyring
# (`keyctl session -`, unless GETTOKEN_TEST_NO_KEYCTL=1), inside a new user
# namespace where possible (same uid) so that the persistent keyring is a
# fresh one too, not the user's real one.
gettoken_test_env_run() {
    local cmd=("$@")
    if [[ ${GETTOKEN_TEST_NO_KEYCTL:-} != 1 ]]; then
        cmd=(keyctl session - env GETTOKEN_TEST_KEYUTILS=1 "${cmd[@]}")
        if _gte_userns_ok; then
            cmd=(_gte_in_userns "${cmd[@]}")
        fi
    fi
    "${cmd[@]}"
}

# Starts everything (or reuses a live environment). Returns non-zero on failure,
# after stopping whatever it had started.
gettoken_test_env_start() {
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || return 1
    _gte_check_tools || return 1

    if [[ ${GETTOKEN_TEST_SECRET_SERVICE:-} == 1 && -n ${GETTOKEN_TEST_DBUS:-} ]] &&
        DBUS_SESSION_BUS_ADDRESS=$GETTOKEN_TEST_DBUS _gte_secrets_owned; then
        export DBUS_SESSION_BUS_ADDRESS=$GETTOKEN_TEST_DBUS
        _gte_log "reusing the running test environment ($GETTOKEN_TEST_DBUS)"
        return 0
    fi

    if [[ ${GETTOKEN_TEST_NO_KEYCTL:-} != 1 ]] && ! keyctl session - true 2>/dev/null; then
        _gte_fail "keyctl cannot create a session keyring here (seccomp? Docker's default profile blocks keyctl).
  Set GETTOKEN_TEST_NO_KEYCTL=1 to run without a kernel keyring (keyutils tests then skip)."
        return 1
    fi

    if [[ -n ${DBUS_SESSION_BUS_ADDRESS+x} ]]; then
        _GTE_PREV_DBUS=$DBUS_SESSION_BUS_ADDRESS
    else
        unset _GTE_PREV_DBUS
    fi
    GETTOKEN_TEST_ENV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gettoken-test-env.XXXXXX") ||
        { _gte_fail "mktemp failed"; return 1; }
    chmod 700 "$GETTOKEN_TEST_ENV_DIR"
    export GETTOKEN_TEST_ENV_DIR
    _GTE_OWNER=$$
    unset GETTOKEN_TEST_OIDC_ISSUER GETTOKEN_TEST_OIDC_KEYS

    if _gte_start_bus && _gte_start_keyring && _gte_probe_secret_service &&
        _gte_start_oidc "$root"; then
        export GETTOKEN_TEST_DBUS=$DBUS_SESSION_BUS_ADDRESS
        export GETTOKEN_TEST_SECRET_SERVICE=1
        return 0
    fi
    _gte_log "stopping what was started"
    gettoken_test_env_stop
    return 1
}

# ---------------------------------------------------------------------------
# entry point

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
    # sourced
    gettoken_test_env_start || return 1
    [[ ${_GTE_OWNER:-} == "$$" && $- == *i* ]] &&
        _gte_log "sourced: call gettoken_test_env_stop when done; run tests as gettoken_test_env_run CMD..."
    return 0
fi

# exec mode
set -uo pipefail
if (($# == 0)); then
    echo "usage: $0 CMD [ARGS...]   (or: source $0)" >&2
    exit 2
fi
trap 'gettoken_test_env_stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
gettoken_test_env_start || exit 1
gettoken_test_env_run "$@"
exit $?
