#!/usr/bin/env bash
# scripts/deb.sh: a Debian package of gettoken, built with dpkg-deb alone
# (no cargo-deb to install): the binary, its man pages (`gettoken man
# --dir`) and the bash, zsh and fish completions.
#
# Usage: scripts/deb.sh [OUT_DIR]      (default target/deb)
#   GETTOKEN_BIN=PATH   the binary to package (default target/release/gettoken,
#                       built with `cargo build --release` when missing); a
#                       static musl build goes here the same way.
#   GETTOKEN_DEB_ARCH   the package's architecture (default: dpkg's own)
# Prints the path of the .deb on its last stdout line.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bin=${GETTOKEN_BIN:-target/release/gettoken}
out_dir=${1:-target/deb}

for tool in dpkg-deb dpkg gzip; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "deb.sh: $tool is missing (apt-get install dpkg gzip)" >&2
        exit 2
    }
done
if [[ ! -x $bin ]]; then
    if [[ -n ${GETTOKEN_BIN:-} ]]; then
        echo "deb.sh: GETTOKEN_BIN=$bin is not an executable" >&2
        exit 2
    fi
    echo "deb.sh: building $bin (cargo build --release)" >&2
    cargo build --release --bin gettoken
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
arch=${GETTOKEN_DEB_ARCH:-$(dpkg --print-architecture)}
description=$(sed -n 's/^description = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
package=gettoken_${version}_${arch}

stage=$(mktemp -d "${TMPDIR:-/tmp}/gettoken-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
pkg=$stage/$package

install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/man/man1" \
    "$pkg/usr/share/bash-completion/completions" \
    "$pkg/usr/share/zsh/vendor-completions" \
    "$pkg/usr/share/fish/vendor_completions.d" \
    "$pkg/usr/share/doc/gettoken"
install -m 0755 "$bin" "$pkg/usr/bin/gettoken"

# The man pages, compressed as Debian policy asks.
"$bin" -q man --dir "$pkg/usr/share/man/man1" >/dev/null
gzip -9n "$pkg"/usr/share/man/man1/*.1

# The completion scripts call the binary back: as argv[0] names it, so as
# the installed /usr/bin/gettoken.
completion() { (exec -a /usr/bin/gettoken "$bin" completions "$1"); }
completion bash >"$pkg/usr/share/bash-completion/completions/gettoken"
completion zsh >"$pkg/usr/share/zsh/vendor-completions/_gettoken"
completion fish >"$pkg/usr/share/fish/vendor_completions.d/gettoken.fish"

cp README.md "$pkg/usr/share/doc/gettoken/README.md"
cp profiles.example.toml "$pkg/usr/share/doc/gettoken/profiles.example.toml"
cat >"$pkg/usr/share/doc/gettoken/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: gettoken
License: MIT OR Apache-2.0
EOF

# The shared libraries the binary links (none for a static build).
depends=
if command -v dpkg-query >/dev/null && ldd "$bin" >/dev/null 2>&1; then
    libc=$(dpkg-query -W -f='${Version}' libc6 2>/dev/null | sed 's/-.*//' || true)
    [[ -n $libc ]] && depends="libc6 (>= $libc)"
fi
installed_size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
{
    echo "Package: gettoken"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Maintainer: gettoken developers <gettoken@localhost>"
    echo "Installed-Size: $installed_size"
    [[ -n $depends ]] && echo "Depends: $depends"
    echo "Suggests: gnome-keyring | keyutils"
    echo "Section: utils"
    echo "Priority: optional"
    echo "Description: $description"
    echo " Named profiles in one TOML file; the token cached in the OS keyring"
    echo " (Secret Service or kernel keyring) until it nears its expiry."
} >"$pkg/DEBIAN/control"

find "$pkg" -type d -exec chmod 0755 {} +
find "$pkg/usr/share" -type f -exec chmod 0644 {} +
mkdir -p "$out_dir"
dpkg-deb --root-owner-group --build "$pkg" "$out_dir/$package.deb" >&2
echo "$out_dir/$package.deb"
