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
# gcc-mingw-w64-x86-64, wine, wine64: the Windows build and its run under
# Wine; musl-tools: the static Linux build; clang: the C compiler `ring`
# needs for the macOS check (.ci/run). Each rustup target comes from
# .ci/run (`rustup target add`); without it those tests skip.
packages=(gnome-keyring dbus libsecret-tools keyutils ca-certificates curl jq git zsh fish man-db
    gcc-mingw-w64-x86-64 wine wine64 musl-tools clang)
if ! { command -v node && command -v npm; } >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done
if ((${#missing[@]} == 0)); then
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
