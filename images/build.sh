#!/usr/bin/env bash
# Builds the Dockyard guest images into images/dist/:
#   bzImage            i386 kernel (images/kernel/build.sh)
#   initramfs.cpio.gz  busybox + containerd-lite + /init (images/initramfs/)
#   bios.bin           Debian's SeaBIOS
#   registry/          the bundled registry: an OCI image layout per image of
#                      BUNDLED_IMAGES (src/common/manifest.ts), each made from
#                      images/recipes/<name>/ by images/tools/oci-layout.ts
#   manifest.json      sizes, sha256s, source hashes, Debian versions, cmdline
#   state.bin.zst      the booted guest's saved state, for instant start
#                      (images/tools/make-state.ts; recorded in manifest.json)
# Usage: npm run images [-- --force] [-- --only STEP ...]   (Debian 12, as root)
# An artifact whose sources, Debian inputs and dist file are unchanged since
# the last build is not rebuilt; --force (or DOCKYARD_FORCE=1) rebuilds all.
# --only STEP (bios, kernel, initrd, registry, state; repeatable) builds just
# those steps; the manifest keeps its entries for the others as they were.
# The state step runs last: it boots what the other steps built.
# Output is reproducible: the same inputs give the same bytes.
# What is built (artifact names and files, the bundled images) is the list in
# src/common/manifest.ts, read through images/tools/list.ts.
# Work dirs: $DOCKYARD_BUILD_DIR/dockyard-kernel (incremental kernel tree) and
# $DOCKYARD_BUILD_DIR/dockyard-build; DOCKYARD_BUILD_DIR defaults to /tmp.
set -euo pipefail

export LC_ALL=C TZ=UTC
export SOURCE_DATE_EPOCH=1767225600 # 2026-01-01T00:00:00Z, as images/kernel/build.sh
umask 022

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dist=$here/dist
base=${DOCKYARD_BUILD_DIR:-/tmp}
kwork=$base/dockyard-kernel
work=$base/dockyard-build
force=${DOCKYARD_FORCE:-0}
tsx=$repo/node_modules/.bin/tsx
[ -x "$tsx" ] || { echo "images: $tsx missing: run npm ci first" >&2; exit 1; }

# the artifact list (src/common/manifest.ts)
artifact_names=() artifact_files=() image_names=() image_repos=() image_tags=() state_file=
while read -r kind a b c; do
  case $kind in
    artifact) artifact_names+=("$a") artifact_files+=("$b") ;;
    image) image_names+=("$a") image_repos+=("$b") image_tags+=("$c") ;;
    state) state_file=$a ;;
  esac
done < <(cd "$repo" && "$tsx" images/tools/list.ts)
[ ${#artifact_names[@]} -gt 0 ] && [ -n "$state_file" ] || { echo "images: images/tools/list.ts failed" >&2; exit 1; }
steps=("${artifact_names[@]}" registry state)

only=()
usage() { echo "usage: $0 [--force] [--only $(IFS='|'; echo "${steps[*]}")]..." >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --force) force=1 ;;
    --only)
      [ $# -ge 2 ] || usage
      case " ${steps[*]} " in *" $2 "*) only+=("$2") ;; *) usage ;; esac
      shift ;;
    *) usage ;;
  esac
  shift
done
# want STEP: STEP is to be built (no --only, or named by one)
want() {
  [ ${#only[@]} = 0 ] && return 0
  local s
  for s in "${only[@]}"; do [ "$s" = "$1" ] && return 0; done
  return 1
}

log() { printf '\033[1mimages:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mimages: error:\033[0m %s\n' "$*" >&2; exit 1; }
shout() {
  printf '\033[1;33m' >&2
  printf '%s\n' '################################################################' >&2
  printf 'images: WARNING: %s\n' "$@" >&2
  printf '%s\n' '################################################################' >&2
  printf '\033[0m' >&2
}

mkdir -p "$work" "$dist"

# --- build dependencies (host, amd64) ---------------------------------------
host_pkgs=(linux-source-6.1 bc bison flex libelf-dev libssl-dev cpio seabios gcc-multilib zstd make gcc xz-utils)
missing=()
for p in "${host_pkgs[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || missing+=("$p")
done
need_update=0
dpkg --print-foreign-architectures | grep -qx i386 || need_update=1
if [ "$need_update" = 1 ] || [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]:-} (and dpkg --add-architecture i386)"
  [ "$need_update" = 1 ] && { log "adding dpkg architecture i386"; dpkg --add-architecture i386; }
  log "apt-get update"
  # exits 100 while one index is mid-sync; what it did fetch is enough
  apt-get update -q || log "apt-get update exited $? (continuing)"
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# --- Debian i386 packages: downloaded and unpacked, never installed ---------
# (musl-dev:i386 depends on an i686 gcc that cannot be installed on amd64.)
debs=$work/debs
mkdir -p "$debs"
# fetch_deb PKG ARCH -> prints the path of the .deb to use
fetch_deb() {
  local pkg=$1 arch=$2 want f
  want=$(apt-cache show --no-all-versions "$pkg:$arch" 2>/dev/null | sed -n 's/^Version: //p' | head -n1) || true
  pick() { # newest cached deb of pkg:arch, or exactly version $1 if given
    local best='' bestv='' v
    for f in "$debs"/"$pkg"_*_"$arch".deb; do
      [ -f "$f" ] || continue
      [ "$(dpkg-deb -f "$f" Package)" = "$pkg" ] || continue
      v=$(dpkg-deb -f "$f" Version)
      if [ -n "${1:-}" ]; then [ "$v" = "$1" ] && { echo "$f"; return; }; continue; fi
      if [ -z "$bestv" ] || dpkg --compare-versions "$v" gt "$bestv"; then best=$f bestv=$v; fi
    done
    [ -n "$best" ] && echo "$best"
  }
  if [ -n "$want" ]; then
    f=$(pick "$want") || true
    if [ -z "$f" ]; then
      log "apt-get download $pkg:$arch=$want"
      (cd "$debs" && apt-get download -q "$pkg:$arch=$want" 2>&1 | grep -v 'unsandboxed as root' >&2) || true
      f=$(pick "$want") || true
    fi
  fi
  if [ -z "${f:-}" ]; then # offline: whatever is cached, or the seeded copies in $DOCKYARD_DEBS
    for s in "${DOCKYARD_DEBS:-/tmp/debs}"/"$pkg"_*_"$arch".deb; do [ -f "$s" ] && cp -n "$s" "$debs/"; done
    f=$(pick) || die "cannot get $pkg:$arch (apt-get download failed, none in $debs or ${DOCKYARD_DEBS:-/tmp/debs})"
    log "using cached $(basename "$f")"
  fi
  echo "$f"
}
deb_version() { dpkg-deb -f "$1" Version; }

bb_deb=$(fetch_deb busybox-static i386)
musl_dev_deb=$(fetch_deb musl-dev i386)
musl_deb=$(fetch_deb musl i386)

deb_args=(
  --debian "bios:seabios=$(dpkg-query -W -f='${Version}' seabios)"
  --debian "kernel:linux-source-6.1=$(dpkg-query -W -f='${Version}' linux-source-6.1)"
  --debian "initrd:busybox-static:i386=$(deb_version "$bb_deb")"
  --debian "initrd:musl-dev:i386=$(deb_version "$musl_dev_deb")"
  --debian "initrd:musl:i386=$(deb_version "$musl_deb")"
)

# recipe NAME: the folder of a bundled image's recipe (images/README.md,
# "Adding a bundled image"). recipe.sh there sets `debian` (the Debian i386
# packages, PKG:ARCH, it is built from) and defines `build ROOTFS`, which
# makes the image's tree in ROOTFS (absent) and prints the history's
# created_by. It is sourced in a subshell with this script's functions, `$w`
# (its own empty work dir) and `$recipe` (its folder), and asks for its
# packages with `recipe_deb PKG:ARCH` (the path of the .deb).
recipe() { echo "$here/recipes/$1"; }
recipe_deb() { fetch_deb "${1%%:*}" "${1#*:}"; }
for name in "${image_names[@]}"; do
  r=$(recipe "$name")
  [ -f "$r/recipe.sh" ] && [ -f "$r/config.json" ] || die "bundled image $name: $r/ needs recipe.sh and config.json"
  pkgs=$(recipe=$r && . "$r/recipe.sh" && printf '%s\n' "${debian[@]}")
  for pkg in $pkgs; do
    [[ $pkg == *:* ]] || die "$r/recipe.sh: Debian package $pkg needs an architecture (PKG:ARCH)"
    deb_args+=(--debian "$name:$pkg=$(deb_version "$(recipe_deb "$pkg")")")
  done
done

# busybox_applets BUSYBOX: prints what `BUSYBOX --list-full` says (bin/sh,
# usr/bin/awk, ...), BUSYBOX being bin/busybox of $bb_deb. The list comes from
# the i386 binary itself when this host runs i386 code; otherwise from
# Debian's amd64 busybox-static of the same version (same config), after
# checking that the i386 binary holds the very same applet name table.
busybox_applets() {
  local bb=$1 applets bbv bb64_deb
  if applets=$("$bb" --list-full 2>/dev/null) && [ -n "$applets" ]; then
    log "busybox applets: from the i386 binary"
  else
    bbv=$(deb_version "$bb_deb")
    bb64_deb=$(fetch_deb busybox-static amd64)
    [ "$(deb_version "$bb64_deb")" = "$bbv" ] || die "busybox-static:amd64 $(deb_version "$bb64_deb") != i386 $bbv: cannot list applets (host cannot run i386 code)"
    rm -rf "$work/busybox-amd64"
    dpkg-deb -x "$bb64_deb" "$work/busybox-amd64"
    applets=$("$work/busybox-amd64/bin/busybox" --list-full)
    node -e '
      const fs = require("fs");
      const names = process.argv[2].trim().split("\n").map(p => p.slice(p.lastIndexOf("/") + 1));
      const table = Buffer.from("\0" + names.join("\0") + "\0");
      if (fs.readFileSync(process.argv[1]).indexOf(table) < 0) {
        console.error("images: i386 busybox applet table differs from the amd64 one"); process.exit(1);
      }' "$bb" "$applets" || die "cannot determine the i386 busybox applet list"
    log "busybox applets: from busybox-static:amd64 $bbv (name table verified in the i386 binary)"
  fi
  printf '%s\n' "$applets"
}

# fresh NAME: the dist file (or registry layout) of NAME matches the manifest,
# its sources and Debian inputs
fresh() { [ "$force" != 1 ] && (cd "$repo" && "$tsx" images/tools/write-manifest.ts --check "$1" "${deb_args[@]}"); }
install_dist() { # atomically replace dist/$2 with $1
  cp "$1" "$dist/.$2.tmp" && chmod 644 "$dist/.$2.tmp" && mv -f "$dist/.$2.tmp" "$dist/$2"
}

# --- BIOS ---------------------------------------------------------------------
# bios.bin (128 KiB) boots under v86 as well as bios-256k.bin; no VGA BIOS headless.
if ! want bios; then
  log "bios.bin: skipped (--only)"
elif fresh bios; then
  log "bios.bin: up to date"
else
  install_dist /usr/share/seabios/bios.bin bios.bin
  log "bios.bin: copied from seabios $(dpkg-query -W -f='${Version}' seabios)"
fi

# --- kernel -------------------------------------------------------------------
if ! want kernel; then
  log "bzImage: skipped (--only)"
elif fresh kernel; then
  log "bzImage: up to date"
else
  log "bzImage: building in $kwork (full build ~5 min, incremental ~20 s; log: $work/kernel.log)"
  if ! "$here/kernel/build.sh" "$work/bzImage" "$kwork" >"$work/kernel.log" 2>&1; then
    tail -n 40 "$work/kernel.log" >&2
    die "kernel build failed (full log: $work/kernel.log)"
  fi
  install_dist "$work/bzImage" bzImage
fi

# --- initramfs ------------------------------------------------------------------
if ! want initrd; then
  log "initramfs.cpio.gz: skipped (--only)"
elif fresh initrd; then
  log "initramfs.cpio.gz: up to date"
else
  # busybox and musl, unpacked
  rm -rf "$work/busybox" "$work/musl"
  dpkg-deb -x "$bb_deb" "$work/busybox"
  dpkg-deb -x "$musl_dev_deb" "$work/musl"
  dpkg-deb -x "$musl_deb" "$work/musl"
  bb=$work/busybox/bin/busybox
  [ -f "$bb" ] || die "$bb_deb has no bin/busybox"

  # Applet links are made here, not with `busybox --install` at boot (0.3-0.5 s
  # under v86).
  applets=$(busybox_applets "$bb")

  # containerd-lite: static i386 against musl
  daemon=
  if [ -f "$here/containerd-lite/Makefile" ]; then
    rm -rf "$work/containerd-lite"
    log "containerd-lite: make guest"
    make -s -C "$here/containerd-lite" guest MUSL="$work/musl" O="$work/containerd-lite" >&2
    daemon=$work/containerd-lite/containerd-lite
    [ -f "$daemon" ] || die "make guest did not produce $daemon"
  else
    shout "images/containerd-lite/Makefile is missing: building the initramfs" \
          "WITHOUT /sbin/containerd-lite (no host channel on hvc1)."
  fi

  # the tree
  root=$work/initramfs-root
  rm -rf "$root"
  mkdir -p "$root"
  (cd "$root" && mkdir -p bin sbin usr/bin usr/sbin etc root dev proc sys tmp run mnt/host newroot)
  cp -R "$here/initramfs/." "$root/"
  find "$root" -type d -exec chmod 755 {} +
  find "$root" -type f -perm /111 -exec chmod 755 {} +
  find "$root" -type f ! -perm /111 -exec chmod 644 {} +
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  install -m 755 "$bb" "$root/bin/busybox"
  n=0
  while IFS= read -r p; do
    [ -e "$root/$p" ] || [ -L "$root/$p" ] && continue # our own files win
    mkdir -p "$root/$(dirname "$p")"
    ln -s /bin/busybox "$root/$p"
    n=$((n + 1))
  done <<<"$applets"
  [ -n "$daemon" ] && install -m 755 "$daemon" "$root/sbin/containerd-lite"
  # the kernel opens /dev/console for PID 1 before anything is mounted
  mknod -m 600 "$root/dev/console" c 5 1
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

  (cd "$root" && find . -mindepth 1 -printf '%P\n' | sort |
    cpio -o -H newc --reproducible -R 0:0 --quiet) | gzip -n -9 >"$work/initramfs.cpio.gz"
  install_dist "$work/initramfs.cpio.gz" initramfs.cpio.gz
  log "initramfs.cpio.gz: $n applet links${daemon:+, containerd-lite $(stat -c %s "$daemon") B}"
fi

# --- bundled registry -------------------------------------------------------------
# One OCI image layout per bundled image in dist/registry/<repo>/, from
# images/recipes/<name>/ (config.json: Cmd, Env, ...; recipe.sh makes the
# rootfs), by images/tools/oci-layout.ts. The manifest records the sha256 of
# each index.json; everything below it is content-addressed.
reg=$work/registry
# make_image NAME REPO TAG ROOTFS CREATED_BY: builds the layout and installs it in dist
make_image() {
  local name=$1 repo_=$2 tag=$3 root=$4 out=$reg/$1/layout
  local dst=$dist/registry/$repo_ tmp
  tmp=$(dirname "$dst")/.$(basename "$dst").tmp
  rm -rf "$out" "$tmp"
  (cd "$repo" && "$tsx" images/tools/oci-layout.ts --rootfs "$root" --out "$out" \
    --name "$repo_" --tag "$tag" \
    --config "$(recipe "$name")/config.json" --created-by "$5") >"$reg/$name/summary" ||
    die "oci-layout.ts failed for $name"
  mkdir -p "$(dirname "$dst")"
  cp -R "$out" "$tmp"
  find "$tmp" -type d -exec chmod 755 {} +
  find "$tmp" -type f -exec chmod 644 {} +
  rm -rf "$dst"
  mv "$tmp" "$dst"
  log "$(cat "$reg/$name/summary")"
}

if ! want registry; then
  log "registry: skipped (--only)"
else
  for i in "${!image_names[@]}"; do
    name=${image_names[$i]}
    if fresh "$name"; then
      log "registry $name: up to date"
      continue
    fi
    w=$reg/$name
    rm -rf "$w"
    mkdir -p "$w"
    # (a subshell of its own, not a command substitution: `set -e` holds in the recipe)
    (recipe=$(recipe "$name") && . "$recipe/recipe.sh" && build "$w/rootfs" >"$w/created-by")
    created_by=$(cat "$w/created-by")
    [ -n "$created_by" ] && [[ $created_by != *$'\n'* ]] ||
      die "$(recipe "$name")/recipe.sh: build must print one line (the history's created_by)"
    make_image "$name" "${image_repos[$i]}" "${image_tags[$i]}" "$w/rootfs" "$created_by"
  done
fi

# --- manifest -------------------------------------------------------------------
only_args=()
for s in "${only[@]}"; do [ "$s" = state ] || only_args+=(--only "$s"); done
if [ ${#only[@]} -gt 0 ] && [ ${#only_args[@]} = 0 ]; then
  log "manifest.json: artifacts kept (--only state)"
else
  (cd "$repo" && "$tsx" images/tools/write-manifest.ts "${deb_args[@]}" "${only_args[@]}")
fi
for f in "${artifact_files[@]}"; do
  log "$(printf '%-18s %9d B  %s' "$f" "$(stat -c %s "$dist/$f")" "$(sha256sum "$dist/$f" | cut -c1-16)")"
done
for i in "${!image_names[@]}"; do # layout size; sha256 of index.json
  l=$dist/registry/${image_repos[$i]}
  log "$(printf '%-18s %9d B  %s' "registry/${image_names[$i]}" "$(find "$l" -type f -printf '%s\n' | awk '{s += $1} END {print s}')" \
    "$(sha256sum "$l/index.json" | cut -c1-16)")"
done

# --- guest state --------------------------------------------------------------------
# Boots the artifacts above in Node (the project's own VM worker), lets the
# daemon say HELLO, drops caches and zeroes free memory in the guest, saves
# v86's state and compresses it with zstd -19 (v86 sees the magic and
# decompresses it itself). Not reproducible byte for byte: the manifest's
# `state.stamp` says which artifacts and v86 it fits.
if ! want state; then
  if (cd "$repo" && "$tsx" images/tools/make-state.ts --check); then
    log "state.bin.zst: skipped (--only)"
  else
    shout "state.bin.zst no longer fits the artifacts (hosts will cold-boot):" \
          "run \`npm run images -- --only state\`"
  fi
elif [ "$force" != 1 ] && (cd "$repo" && "$tsx" images/tools/make-state.ts --check); then
  log "state.bin.zst: up to date"
else
  (cd "$repo" && "$tsx" images/tools/make-state.ts --work "$work") || die "images/tools/make-state.ts failed"
fi
[ -f "$dist/$state_file" ] &&
  log "$(printf '%-18s %9d B  %s' "$state_file" "$(stat -c %s "$dist/$state_file")" "$(sha256sum "$dist/$state_file" | cut -c1-16)")"
log "wrote images/dist/manifest.json"
