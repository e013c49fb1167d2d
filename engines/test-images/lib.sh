# Shared helpers for the test-image build scripts. Source it; do not run it.
# shellcheck shell=bash

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$IMAGES_DIR/../.." && pwd)"
# Cache for the debootstrap base root file system and downloaded packages.
# Override with KRINT_IMAGE_CACHE (any directory on a file system that allows device nodes).
CACHE_DIR="${KRINT_IMAGE_CACHE:-$REPO_ROOT/.tmp/test-images}"
SUITE=bookworm

log() { printf '[images %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "building images needs root (debootstrap, chroot)"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror URI from the machine's apt sources (deb822 or one-line format).
debian_mirror() {
  local uri=""
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  shopt -s nullglob
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    uri=$(awk '
      /^[[:space:]]*$/ { if (uri != "" && suites ~ /(^| )'"$SUITE"'( |$)/) { print uri; exit } uri=""; suites=""; next }
      /^URIs:/ { uri=$2 }
      /^Suites:/ { $1=""; suites=$0 " " }
      END { if (uri != "" && suites ~ /(^| )'"$SUITE"'( |$)/) print uri }
    ' "$f" | grep -v security | head -n1)
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      uri=$(awk '$1=="deb" && $3=="'"$SUITE"'" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f" | head -n1)
      [ -n "$uri" ] && break
    done
  fi
  shopt -u nullglob
  [ -n "$uri" ] || die "no Debian $SUITE mirror found in /etc/apt/sources.list*; set DEBIAN_MIRROR"
  echo "$uri"
}

# docker import a directory as NAME with the given -c changes.
# usage: import_rootfs DIR NAME [docker import -c args...]
import_rootfs() {
  local dir=$1 name=$2; shift 2
  log "importing $dir as $name"
  tar --numeric-owner -C "$dir" -c . | docker import "$@" - "$name" >/dev/null
  log "built $name ($(docker image inspect -f '{{.Size}}' "$name" | awk '{ printf "%.0f MB", $1/1e6 }'))"
}

# seconds since the epoch, for timings
now() { date +%s; }
