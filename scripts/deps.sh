#!/usr/bin/env bash
# Install exactly the Debian packages Tessera needs, only those missing.
# Idempotent: a second run installs nothing and prints one line.
set -euo pipefail

# Packages for the build host (amd64 or arm64) and the cross target.
HOST_PKGS=(
    make gcc libc6-dev pkg-config
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
    qemu-system-arm
    device-tree-compiler
    dosfstools fdisk mtools
    libexpat1-dev
    libcmocka-dev
    python3 python3-pytest python3-pexpect
    linux-source-6.1
    bc bison flex libssl-dev libelf-dev xz-utils cpio
    clang-format
    # make fuzz: clang, and its libFuzzer and sanitizer runtimes (only recommended by clang)
    clang libclang-rt-14-dev
)
TARGET_PKGS=(busybox-static:arm64)

missing=()
for p in "${HOST_PKGS[@]}" "${TARGET_PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#HOST_PKGS[@]}+${#TARGET_PKGS[@]} packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "deps: please install these Debian packages as root (after 'dpkg --add-architecture arm64'): ${missing[*]}" >&2
        exit 1
    fi
fi

echo "deps: installing ${missing[*]}"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "deps: adding the arm64 foreign architecture (for busybox-static:arm64)"
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -q
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "deps: done"
