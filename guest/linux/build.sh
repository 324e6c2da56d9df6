#!/usr/bin/env bash
# Build the guest Linux kernel Image from Debian's linux-source-6.1: allnoconfig plus our
# fragment (tessera.config), for every Tessera VM. The build takes minutes, so its result is
# cached outside the work tree, keyed by the source package version, the tarball, the fragment
# and this script: an unchanged rebuild only copies the cached Image.
#   build.sh OUTPUT_IMAGE        (also writes OUTPUT_IMAGE.config, the kernel's final .config)
# Environment: TESSERA_CACHE_DIR (default ~/.cache/tessera).
set -euo pipefail

out=$1
here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/tessera.config
tarball=/usr/src/linux-source-6.1.tar.xz
cache_root=${TESSERA_CACHE_DIR:-${HOME:-/tmp}/.cache/tessera}
# A fixed user and host in `uname -v`, whoever builds it.
make_args=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KBUILD_BUILD_USER=tessera KBUILD_BUILD_HOST=tessera)

say() { echo "linux: $*"; }
die() { echo "linux: $*" >&2; exit 1; }

[ -f "$tarball" ] || die "$tarball is missing (install the Debian package linux-source-6.1)"
command -v aarch64-linux-gnu-gcc >/dev/null || die "aarch64-linux-gnu-gcc is missing (Debian package gcc-aarch64-linux-gnu)"
version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo unknown)
key=$({ echo "$version"; stat -c '%s %Y' "$tarball"; cat "$fragment" "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)
dir=$cache_root/linux-$key
mkdir -p "$cache_root"

# One builder per key at a time; a second make waits, then finds the Image in the cache.
exec 9>"$dir.lock"
if ! flock -n 9; then
    say "waiting for another build of the same kernel (lock $dir.lock)"
    flock 9
fi

# An interrupted build leaves a tree of about 1.5 GB behind; remove those nobody is building.
for stale in "$cache_root"/linux-*.tmp; do
    [ -d "$stale" ] && [ "$stale" != "$dir.tmp" ] || continue
    if (flock -n 8 && rm -rf "$stale") 8>"${stale%.tmp}.lock"; then
        say "removed the unfinished build $stale"
    fi
done

# The fragment must survive allnoconfig + olddefconfig: an option that a missing dependency
# silently drops would otherwise give a kernel that boots without, say, its disk driver.
check_config() {
    local config=$1 bad=0 line name got
    while IFS= read -r line; do
        case "$line" in
        CONFIG_*=*)
            name=${line%%=*}
            got=$(grep -E "^$name=|^# $name is not set" "$config" || echo "absent")
            if [ "$got" != "$line" ]; then
                echo "linux: fragment asks for $line, the final .config has: $got" >&2
                bad=1
            fi
            ;;
        "# CONFIG_"*" is not set")
            name=${line#\# }
            name=${name%% *}
            if grep -q "^$name=" "$config"; then
                echo "linux: fragment turns off $name, the final .config has: $(grep "^$name=" "$config")" >&2
                bad=1
            fi
            ;;
        esac
    done <"$fragment"
    return $bad
}

# Kbuild prints one line per file; show every 200th so a person sees progress, and everything
# that is not such a line (warnings, errors) in full.
progress() {
    awk '/^  [A-Z0-9_]+ / { n++; if (n % 200 == 0) { printf "linux: %5d files built (%s)\n", n, $NF; fflush() } next }
         { print; fflush() }
         END { printf "linux: %5d files built\n", n }'
}

if [ -f "$dir/Image" ]; then
    say "using the cached kernel $dir/Image"
else
    start=$(date +%s)
    say "building the guest kernel once (cache key $key); about 5 minutes on 2 cores"
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    say "extracting $tarball (linux-source-6.1 $version)"
    tar -xf "$tarball" -C "$dir.tmp"
    src=$dir.tmp/linux-source-6.1
    [ -f "$src/Makefile" ] || die "$tarball did not contain linux-source-6.1/"
    say "configuring: allnoconfig + $(grep -c '^CONFIG_' "$fragment") options of $fragment"
    make -C "$src" -s "${make_args[@]}" allnoconfig
    # Kconfig warns about every choice the fragment changes (HZ, VA bits): expected, so its
    # words are shown only on failure. check_config below is what catches a dropped option.
    if ! log=$(cd "$src" && ./scripts/kconfig/merge_config.sh -m .config "$fragment" 2>&1 &&
        make -s "${make_args[@]}" olddefconfig 2>&1); then
        echo "$log" >&2
        die "configuring with $fragment failed"
    fi
    check_config "$src/.config" || die "the configuration fragment did not apply; fix $fragment"
    say "compiling Image with $(nproc) jobs"
    make -C "$src" --no-print-directory "${make_args[@]}" -j"$(nproc)" Image 2>&1 | progress
    [ -f "$src/arch/arm64/boot/Image" ] || die "the kernel build produced no Image"
    rm -rf "$dir.new"
    mkdir -p "$dir.new"
    cp "$src/arch/arm64/boot/Image" "$src/.config" "$dir.new/"
    rm -rf "$dir"
    mv "$dir.new" "$dir"
    rm -rf "$dir.tmp"
    say "built in $(($(date +%s) - start)) s: $(stat -c %s "$dir/Image") bytes"
fi

# Copy, then rename: an interrupted copy never leaves a truncated Image that looks new to make.
mkdir -p "$(dirname "$out")"
cp "$dir/Image" "$out.tmp"
cp "$dir/.config" "$out.config"
mv "$out.tmp" "$out"
