#!/usr/bin/env bash
# Debian bookworm minbase root file system, built once with debootstrap and cached as
# $CACHE_DIR/base (a directory; "$CACHE_DIR/base.ok" marks a complete build).
# The image scripts copy it and apt-get install their packages inside a chroot.
#   build-base.sh [--force]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

base="$CACHE_DIR/base"
if [ "${1:-}" != --force ] && [ -f "$CACHE_DIR/base.ok" ] && [ -d "$base" ]; then
  exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
mirror=$(debian_mirror)
start=$(now)
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/base.lock"
flock 9
# another build may have finished it while we waited for the lock
if [ "${1:-}" != --force ] && [ -f "$CACHE_DIR/base.ok" ] && [ -d "$base" ]; then exit 0; fi
rm -rf "$base" "$CACHE_DIR/base.ok"
log "debootstrap --variant=minbase $SUITE (mirror from apt sources)"
if ! debootstrap --variant=minbase "$SUITE" "$base" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1; then
  tail -n 30 "$CACHE_DIR/debootstrap.log" >&2
  die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"
fi

# apt inside the chroot: same mirror, plus updates and security suites when the host uses them.
echo "deb $mirror $SUITE main" >"$base/etc/apt/sources.list"
for extra in "$SUITE-updates" "$SUITE-security"; do
  uri=$(apt_source_uri "$extra")
  [ -n "$uri" ] && echo "deb $uri $extra main" >>"$base/etc/apt/sources.list"
done

# Never start services from package scripts, keep images small.
printf '#!/bin/sh\nexit 101\n' >"$base/usr/sbin/policy-rc.d"
chmod +x "$base/usr/sbin/policy-rc.d"
cat >"$base/etc/apt/apt.conf.d/90krint" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "3";
CONF
cat >"$base/etc/dpkg/dpkg.cfg.d/90krint-nodoc" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
CONF
log "apt-get update inside the base"
chroot "$base" apt-get update -qq >/dev/null || die "apt-get update in the base chroot failed"
rm -rf "$base"/var/cache/apt/archives/*.deb "$base"/usr/share/doc/* "$base"/usr/share/man/* "$base"/usr/share/locale/*
touch "$CACHE_DIR/base.ok"
log "base root file system ready in $(( $(now) - start ))s ($(du -sm "$base" | cut -f1) MB)"
