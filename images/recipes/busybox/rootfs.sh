#!/usr/bin/env bash
# Makes the root filesystem of the busybox image (run by images/build.sh):
#   rootfs.sh ROOT BUSYBOX < applet-list
# ROOT must not exist. BUSYBOX is Debian's busybox-static:i386 /bin/busybox;
# the applet list is what `busybox --list-full` prints (bin/sh, usr/bin/awk,
# ...), one path a line. Every applet in /bin, /sbin, /usr/bin or /usr/sbin
# becomes a relative symlink to /bin/busybox (others, i.e. /linuxrc, are left
# out); the files in rootfs/ (passwd, group) are copied in. Prints the number
# of links made.
set -euo pipefail
[ $# = 2 ] || { echo "usage: $0 ROOT BUSYBOX < applet-list" >&2; exit 2; }
root=$1 bb=$2
here=$(cd "$(dirname "$0")" && pwd)
[ ! -e "$root" ] || { echo "$0: $root exists" >&2; exit 1; }

mkdir -p "$root"
(cd "$root" && mkdir -p bin sbin usr/bin usr/sbin etc home root tmp var)
cp -R "$here/rootfs/." "$root/"
find "$root" -type d -exec chmod 755 {} +
find "$root" -type f -exec chmod 644 {} +
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
install -m 755 "$bb" "$root/bin/busybox"

n=0
while IFS= read -r p; do
  p=${p#/}
  case $p in '' | bin/busybox) continue ;; esac
  # only /bin, /sbin, /usr/bin, /usr/sbin: /linuxrc is for initrds
  case $p in bin/* | sbin/* | usr/bin/* | usr/sbin/*) ;; *) continue ;; esac
  if [ -e "$root/$p" ] || [ -L "$root/$p" ]; then
    echo "$0: applet $p listed twice or clashes with rootfs/" >&2
    exit 1
  fi
  d=${p%/*}
  [ -d "$root/$d" ] || { echo "$0: applet $p: /$d is not a directory of the image" >&2; exit 1; }
  # bin/sh -> busybox, sbin/init -> ../bin/busybox, usr/bin/awk -> ../../bin/busybox
  up=${d//[!\/]/}
  rel=$(printf '../%.0s' $(seq 0 ${#up}))bin/busybox
  [ "$d" = bin ] && rel=busybox
  ln -s "$rel" "$root/$p"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "$0: empty applet list" >&2; exit 1; }
echo "$n"
