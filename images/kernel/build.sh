#!/usr/bin/env bash
# Builds the guest bzImage: Debian's linux-source-6.1, ARCH=i386 tinyconfig + dockyard.config.
# Usage: build.sh OUT_BZIMAGE WORKDIR
# Reproducible: fixed build identity, timestamp and a fixed build directory.
set -euo pipefail
out=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
src_tar=/usr/src/linux-source-6.1.tar.xz
[ -f "$src_tar" ] || { echo "kernel: $src_tar missing (apt-get install linux-source-6.1)" >&2; exit 1; }

export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=dockyard KBUILD_BUILD_HOST=dockyard KBUILD_BUILD_VERSION=1
export SOURCE_DATE_EPOCH=1767225600
export LC_ALL=C TZ=UTC

mkdir -p "$work"
tree="$work/linux-source-6.1"
stamp="$work/.unpacked-$(stat -c %Y-%s "$src_tar")"
if [ ! -f "$stamp" ]; then
  rm -rf "$tree" "$work"/.unpacked-*
  tar -C "$work" -xf "$src_tar"
  touch "$stamp"
fi
cd "$tree"
make -s ARCH=i386 tinyconfig
scripts/kconfig/merge_config.sh -m -O . .config "$here/dockyard.config" >/dev/null
make -s ARCH=i386 olddefconfig
# Every line of the fragment must survive olddefconfig: a silently dropped
# symbol (unmet dependency) would give a guest without the feature.
missing=0
while IFS= read -r line; do
  case "$line" in
    CONFIG_*=*) grep -qxF "$line" .config || { echo "kernel: $line did not stick" >&2; missing=1; } ;;
    "# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym% is not set}
      if grep -q "^$sym=" .config; then echo "kernel: $sym should be off" >&2; missing=1; fi ;;
  esac
done < "$here/dockyard.config"
[ "$missing" = 0 ] || exit 1
make -s ARCH=i386 -j"$(nproc)" bzImage
cp arch/x86/boot/bzImage "$out"
cp .config "$out.config"
