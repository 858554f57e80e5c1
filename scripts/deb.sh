#!/usr/bin/env bash
# scripts/deb.sh: a Debian package of gettoken, built with dpkg-deb alone
# (no cargo-deb to install): the binary, its man pages (`gettoken man
# --dir`) and the bash, zsh and fish completions.
#
# Usage: scripts/deb.sh [OUT_DIR]      (default target/deb)
#   GETTOKEN_BIN=PATH   the binary to package. Default on amd64: the static
#                       binary, the Linux release artifact
#                       (target/x86_64-unknown-linux-musl/release/gettoken,
#                       built with `cargo build --release --target
#                       x86_64-unknown-linux-musl` when missing: it needs
#                       `rustup target add x86_64-unknown-linux-musl` and
#                       Debian's musl-tools); on other architectures the
#                       dynamic target/release/gettoken (`cargo build
#                       --release`). GETTOKEN_BIN=target/release/gettoken
#                       packages the dynamic build on amd64 too.
#   GETTOKEN_DEB_ARCH   the package's architecture (default: dpkg's own)
# Prints the path of the .deb on its last stdout line.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

out_dir=${1:-target/deb}
arch=${GETTOKEN_DEB_ARCH:-$(dpkg --print-architecture 2>/dev/null || echo amd64)}
musl=x86_64-unknown-linux-musl
if [[ $arch == amd64 ]]; then
    default_bin=target/$musl/release/gettoken
    build=(cargo build --release --target "$musl" --bin gettoken)
else
    default_bin=target/release/gettoken
    build=(cargo build --release --bin gettoken)
fi
bin=${GETTOKEN_BIN:-$default_bin}

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
    if [[ $bin == "$default_bin" && $arch == amd64 ]]; then
        if ! rustup target list --installed 2>/dev/null | grep -qx "$musl" || ! command -v musl-gcc >/dev/null; then
            echo "deb.sh: the static binary needs the musl target and C compiler:" \
                "rustup target add $musl; apt-get install musl-tools" \
                "(or GETTOKEN_BIN=target/release/gettoken for the dynamic build)" >&2
            exit 2
        fi
    fi
    echo "deb.sh: building $bin (${build[*]})" >&2
    "${build[@]}"
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
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
# (ldd lists a dynamic binary's libraries as `NAME => PATH`; of a static
# one it says "statically linked", and may still exit 0)
if command -v dpkg-query >/dev/null && ldd "$bin" 2>/dev/null | grep -q '=>'; then
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
