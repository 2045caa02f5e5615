#!/bin/sh
# Seed corpora for the fuzz targets: fuzz/seeds.sh OUTDIR makes
# OUTDIR/tar (small layers in every tar dialect GNU tar writes, with the
# entry kinds the applier handles) and OUTDIR/frame (a few frame streams).
# Deterministic: fixed names, owners and mtimes.
set -eu
out=$1
rm -rf "$out"
mkdir -p "$out/tar" "$out/frame"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/etc" "$tree/d/sub" "$tree/a"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$tree/etc/passwd"
printf 'x' > "$tree/d/sub/f"
ln -s /etc "$tree/abs"
ln -s ../etc/passwd "$tree/d/rel"
ln "$tree/etc/passwd" "$tree/hard"
mkfifo "$tree/fifo"
: > "$tree/a/.wh.gone"
: > "$tree/d/.wh..wh..opq"
long=$tree/$(printf 'l%.0s' $(seq 1 120))
mkdir -p "$long" && : > "$long/$(printf 'n%.0s' $(seq 1 110))"
chmod 4755 "$tree/d/sub/f"
for fmt in gnu oldgnu posix ustar v7; do
  (cd "$tree" && tar --format=$fmt --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime=@1600000000 -cf "$out/tar/$fmt.tar" . 2>/dev/null) || true
done
# Frames: byte 0 odd = specs (type flags stream id len16 payload); a REQUEST
# with attrs op=echo, a MORE chain, a corrupted one; even = raw bytes.
printf '\001\003\000\000\001\015\000\002op\004\000\000\000echo' > "$out/frame/request"
printf '\001\003\001\000\002\004\000\002op\004\003\000\000\000echo' > "$out/frame/more"
printf '\001\006\200\001\001\005\000hello' > "$out/frame/corrupt"
printf '\000DYK1garbageDYK' > "$out/frame/raw"
