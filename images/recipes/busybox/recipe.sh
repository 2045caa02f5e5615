# Recipe of the bundled busybox image, sourced by images/build.sh (see
# images/README.md, "Adding a bundled image").
# Debian's busybox-static:i386 as /bin/busybox with its applet links, made by
# rootfs.sh.

debian=(busybox-static:i386)

# build ROOTFS: makes the image's tree; prints its history's created_by
build() {
  local deb bb n
  deb=$(recipe_deb busybox-static:i386)
  dpkg-deb -x "$deb" "$w/deb"
  bb=$w/deb/bin/busybox
  [ -f "$bb" ] || die "$deb has no bin/busybox"
  n=$(busybox_applets "$bb" | "$recipe/rootfs.sh" "$1" "$bb") || die "images/recipes/busybox/rootfs.sh failed"
  log "registry busybox: $n applet links"
  echo "images/recipes/busybox: Debian busybox-static:i386 $(deb_version "$deb"), $n applet links"
}
