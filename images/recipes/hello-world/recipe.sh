# Recipe of the bundled hello-world image, sourced by images/build.sh (see
# images/README.md, "Adding a bundled image").
# /hello only: hello.c, static i386 against musl (Makefile).

debian=(musl-dev:i386)

# build ROOTFS: makes the image's tree; prints its history's created_by
build() {
  local deb
  deb=$(recipe_deb musl-dev:i386)
  mkdir -p "$1"
  dpkg-deb -x "$deb" "$w/musl"
  make -s -C "$recipe" MUSL="$w/musl" O="$w/build" >&2 || die "images/recipes/hello-world: make failed"
  install -m 755 "$w/build/hello" "$1/hello"
  echo "images/recipes/hello-world: hello.c, static i386 against Debian musl-dev:i386 $(deb_version "$deb")"
}
