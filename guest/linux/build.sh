#!/usr/bin/env bash
# Build the guest Linux kernel Image from Debian's linux-source-6.1 with allnoconfig + our
# fragment, cached outside the work tree keyed by the source version, the fragment and this
# script, so an unchanged rebuild takes seconds.
#   build.sh OUTPUT_IMAGE
set -euo pipefail

out=$1
here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/tessera.config
tarball=/usr/src/linux-source-6.1.tar.xz
cache_root=${TESSERA_CACHE_DIR:-$HOME/.cache/tessera}

[ -f "$tarball" ] || { echo "linux: $tarball missing (Debian package linux-source-6.1)" >&2; exit 1; }
version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { echo "$version"; stat -c '%s %Y' "$tarball"; cat "$fragment" "$0"; } | sha256sum | cut -c1-16)
dir=$cache_root/linux-$key
mkdir -p "$cache_root"

exec 9>"$cache_root/linux-$key.lock"
flock 9

if [ -f "$dir/Image" ]; then
    echo "linux: cached kernel $dir/Image (key $key)"
else
    start=$(date +%s)
    echo "linux: building the guest kernel (key $key; about 5 minutes on 2 cores, done once)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    tar -xf "$tarball" -C "$dir.tmp"
    src=$(echo "$dir.tmp"/linux-source-6.1)
    make_args=(-C "$src" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -s)
    make "${make_args[@]}" allnoconfig
    "$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$fragment" >/dev/null
    make "${make_args[@]}" olddefconfig
    missing=0
    while IFS= read -r line; do
        case "$line" in
        CONFIG_*=*)
            if ! grep -qxF "$line" "$src/.config"; then
                echo "linux: option not set as asked: $line (got: $(grep "^${line%%=*}=" "$src/.config" || echo 'not set'))" >&2
                missing=1
            fi
            ;;
        esac
    done < "$fragment"
    [ "$missing" = 0 ] || { echo "linux: the configuration fragment did not apply" >&2; exit 1; }
    make "${make_args[@]}" -j"$(nproc)" Image
    mkdir -p "$dir"
    cp "$src/arch/arm64/boot/Image" "$src/.config" "$dir/"
    rm -rf "$dir.tmp"
    echo "linux: built in $(( $(date +%s) - start )) s"
fi
mkdir -p "$(dirname "$out")"
cp "$dir/Image" "$out"
