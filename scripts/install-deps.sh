#!/usr/bin/env bash
# scripts/install-deps.sh: the Debian packages the test suite needs (one
# list, used by scripts/test.sh and .ci/run). As root, installs what is
# missing; otherwise prints the one `apt-get install` line to run and fails.
#
# Usage: scripts/install-deps.sh [--check]
#   --check   only report; never install
# Exit: 0 when everything is there (or was installed), 2 when something is
# missing and could not be installed.
set -euo pipefail

# gnome-keyring (the Secret Service), dbus (a private session bus),
# libsecret-tools (secret-tool), keyutils (keyctl): the real stores.
# nodejs, npm: the OIDC test server (tests/oidc). git, zsh, fish, man-db:
# the integration tests drive the real `git credential`, the shells'
# completion systems and `man -l`. curl, jq: the demo and the benchmark.
# uidmap (newuidmap): the tests' user namespace maps a second user
# (nobody), so tests can plant files another user owns.
# skopeo: a second client of docker's credHelpers (integrations_docker.rs).
# gcc-mingw-w64-x86-64, wine, wine64: the Windows build and its run under
# Wine; musl-tools: the static Linux build; clang: the C compiler `ring`
# needs for the macOS check (.ci/run). Each rustup target comes from
# .ci/run (`rustup target add`); without it those tests skip.
packages=(gnome-keyring dbus libsecret-tools keyutils ca-certificates curl jq git zsh fish man-db
    uidmap skopeo gcc-mingw-w64-x86-64 wine wine64 musl-tools clang)
if ! { command -v node && command -v npm; } >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi

# kubectl 1.20 (Debian's kubernetes-client, which speaks only the v1beta1
# ExecCredential) beside the newer kubectl on the PATH: unpacked, not
# installed (the two packages hold the same file), into $old_kubectl_dir;
# integrations_kubectl.rs runs $old_kubectl_dir/usr/bin/kubectl.
old_kubectl_dir=${GETTOKEN_TEST_OLD_KUBECTL_DIR:-/opt/gettoken-test/kubernetes-client}
unpack_old_kubectl() {
    [[ -x $old_kubectl_dir/usr/bin/kubectl ]] && return 0
    [[ ${1:-} != --check && $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1 || {
        echo "install-deps: kubectl 1.20 is missing: as root, run scripts/install-deps.sh" >&2
        return 0
    }
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && { apt-get download kubernetes-client >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get download kubernetes-client >/dev/null; }; }) &&
        mkdir -p "$old_kubectl_dir" && dpkg -x "$tmp"/kubernetes-client_*.deb "$old_kubectl_dir" ||
        echo "install-deps: could not unpack kubernetes-client into $old_kubectl_dir" >&2
    rm -rf -- "$tmp"
}
unpack_old_kubectl "${1:-}"

# pnpm 9 from npm (after nodejs/npm): integrations_npm.rs drives its
# tokenHelper.
install_pnpm() {
    command -v pnpm >/dev/null 2>&1 && return 0
    [[ ${1:-} != --check && $(id -u) == 0 ]] && command -v npm >/dev/null 2>&1 || {
        echo "install-deps: pnpm is missing: as root, run scripts/install-deps.sh (npm i -g pnpm@9.15.9)" >&2
        return 0
    }
    npm install -g --no-fund --no-audit --save-exact pnpm@9.15.9 >/dev/null || echo "install-deps: npm could not install pnpm@9.15.9" >&2
}

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done
# As root, allow the tests' user namespace to map nobody (65534) besides
# root: one line each in /etc/subuid and /etc/subgid.
allow_nobody() {
    [[ $(id -u) == 0 && ${1:-} != --check ]] || return 0
    local f
    for f in /etc/subuid /etc/subgid; do
        grep -qs '^root:65534:1$' "$f" || echo 'root:65534:1' >>"$f"
    done
}

if ((${#missing[@]} == 0)); then
    allow_nobody "${1:-}"
    install_pnpm "${1:-}"
    exit 0
fi

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ ${1:-} == --check || $(id -u) != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "  run as root: apt-get update && $line" >&2
    exit 2
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
allow_nobody
install_pnpm
