#!/usr/bin/env bash
# krint-test/busybox:latest — an otherwise empty root file system holding Debian's static busybox
# and its applet links. Used by the Docker runtime tests.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=${1:-krint-test/busybox:latest}
start=$(now)
work=$(mktemp -d "${TMPDIR:-/tmp}/krint-busybox.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Prefer the host's busybox-static; otherwise fetch the package (needs apt lists) and unpack it.
bb=""
if dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
  bb=/bin/busybox
else
  log "busybox-static not installed on the host; downloading the package"
  mkdir -p "$CACHE_DIR/debs"
  deb=$(ls "$CACHE_DIR"/debs/busybox-static_*.deb 2>/dev/null | head -n1 || true)
  if [ -z "$deb" ]; then
    (cd "$CACHE_DIR/debs" && apt-get download busybox-static 2>/dev/null) \
      || die "apt-get download busybox-static failed (run apt-get update?)"
    deb=$(ls "$CACHE_DIR"/debs/busybox-static_*.deb | head -n1)
  fi
  dpkg-deb -x "$deb" "$work/pkg"
  bb="$work/pkg/bin/busybox"
fi
[ -x "$bb" ] || die "no busybox binary at $bb"

root="$work/root"
mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,root}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

import_rootfs "$root" "$NAME" \
  -c 'ENV PATH=/bin' \
  -c 'WORKDIR /' \
  -c 'CMD ["sh"]'
drop_replaced_image
log "busybox image done in $(( $(now) - start ))s"
