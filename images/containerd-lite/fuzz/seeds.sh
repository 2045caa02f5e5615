#!/bin/sh
# Seed corpus for the fuzz target: fuzz/seeds.sh OUTDIR makes OUTDIR/frame
# (a few frame streams). Deterministic.
set -eu
out=$1
rm -rf "$out"
mkdir -p "$out/frame"
# Frames: byte 0 odd = specs (type flags stream id len16 payload); a REQUEST
# with attrs op=echo, a MORE chain, a corrupted one; even = raw bytes.
printf '\001\003\000\000\001\015\000\002op\004\000\000\000echo' > "$out/frame/request"
printf '\001\003\001\000\002\004\000\002op\004\003\000\000\000echo' > "$out/frame/more"
printf '\001\006\200\001\001\005\000hello' > "$out/frame/corrupt"
printf '\000DYK1garbageDYK' > "$out/frame/raw"
# DNS queries: an A query for "web" (id 0x1234, RD), and a truncated one.
mkdir -p "$out/dns"
printf '\022\064\001\000\000\001\000\000\000\000\000\000\003web\000\000\001\000\001' > "$out/dns/a-web"
printf '\022\064\001\000\000\001\000\000\000\000\000\000\003we' > "$out/dns/cut"
