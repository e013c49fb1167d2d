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

# The URI that the machine's apt sources use for suite $1 (default bookworm), deb822 or one-line
# format. Prints nothing when no source names that suite.
apt_source_uri() {
  local suite=${1:-$SUITE} f uri=""
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    uri=$(awk -v want="$suite" '
      function flush() { if (uri != "" && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " want " ")) { print uri; found=1; exit } uri=""; suites=""; types="" }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      /^URIs:/ { uri=$2 }
      /^Types:/ { $1=""; types=$0 }
      /^Suites:/ { $1=""; suites=$0 }
      END { if (!found) flush() }
    ' "$f" | head -n1)
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      uri=$(awk -v want="$suite" '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i+1)==want) { print $i; exit } break } }' "$f" | head -n1)
      [ -n "$uri" ] && break
    done
  fi
  shopt -u nullglob
  echo "$uri"
}

# The Debian mirror to debootstrap from: $DEBIAN_MIRROR, else the apt sources' bookworm entry.
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(apt_source_uri "$SUITE")
  [ -n "$uri" ] || die "no Debian $SUITE mirror found in /etc/apt/sources.list*; set DEBIAN_MIRROR"
  echo "$uri"
}

# docker import a directory as NAME with the given -c changes.
# usage: import_rootfs DIR NAME [docker import -c args...]
import_rootfs() {
  local dir=$1 name=$2; shift 2
  _replaced_image=$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
  log "importing $dir as $name"
  tar --numeric-owner -C "$dir" -c . | docker import "$@" - "$name" >/dev/null
  log "built $name ($(docker image inspect -f '{{.Size}}' "$name" | awk '{ printf "%.0f MB", $1/1e6 }'))"
}

# docker import cannot set STOPSIGNAL: add it with a metadata-only build on top of NAME.
set_stop_signal() {
  local name=$1 sig=$2 ctx
  ctx=$(mktemp -d)
  printf 'FROM %s\nSTOPSIGNAL %s\n' "$name" "$sig" >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$name" "$ctx" >/dev/null 2>"$ctx/err" \
    || { cat "$ctx/err" >&2; rm -rf "$ctx"; die "could not set STOPSIGNAL on $name"; }
  rm -rf "$ctx"
}

# Remove the image that the last import_rootfs replaced, unless something still uses it.
drop_replaced_image() {
  if [ -n "${_replaced_image:-}" ]; then
    docker image rm "$_replaced_image" >/dev/null 2>&1 || true
    _replaced_image=""
  fi
}

# seconds since the epoch, for timings
now() { date +%s; }

# Copy the cached base root file system into a fresh work directory and print its path.
# The caller removes it with cleanup_rootfs (set a trap).
new_rootfs() {
  bash "$IMAGES_DIR/build-base.sh"
  local dir
  dir=$(mktemp -d "$CACHE_DIR/work.XXXXXX")
  cp -a "$CACHE_DIR/base/." "$dir/"
  # no fsync per unpacked file while building (removed again by slim_rootfs)
  echo force-unsafe-io >"$dir/etc/dpkg/dpkg.cfg.d/90krint-unsafe-io"
  echo "$dir"
}

_mounted=()
# Run apt-get install inside the root file system. Downloaded packages are kept in
# $CACHE_DIR/apt-archives/$APT_CACHE_KEY (one directory per image, so parallel builds do not
# contend for apt's lock) and rebuilds do not download again.
chroot_install() {
  local root=$1; shift
  local archives="$CACHE_DIR/apt-archives/${APT_CACHE_KEY:-shared}"
  mkdir -p "$archives/partial"
  mountpoint -q "$root/proc" || { mount -t proc proc "$root/proc"; _mounted+=("$root/proc"); }
  if ! mountpoint -q "$root/var/cache/apt/archives"; then
    mount --bind "$archives" "$root/var/cache/apt/archives"
    _mounted+=("$root/var/cache/apt/archives")
  fi
  log "apt-get install $*"
  local attempt
  for attempt in 1 2; do
    if chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
        apt-get install -y -q -o Dpkg::Use-Pty=0 "$@" >"$root.apt.log" 2>&1; then
      return 0
    fi
    # the cached base's package lists may be stale (packages superseded on the mirror)
    [ $attempt = 1 ] && log "apt-get install failed; refreshing package lists and retrying" \
      && chroot "$root" apt-get update -qq >>"$root.apt.log" 2>&1
  done
  tail -n 40 "$root.apt.log" >&2
  die "apt-get install failed: $*"
}

unmount_rootfs() {
  local i
  for (( i=${#_mounted[@]}-1; i>=0; i-- )); do umount "${_mounted[$i]}" 2>/dev/null || umount -l "${_mounted[$i]}" || true; done
  _mounted=()
}

# Strip caches and package lists before import.
slim_rootfs() {
  local root=$1
  unmount_rootfs
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/cache/debconf/*-old "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/root/.bash_history
  rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/dpkg/dpkg.cfg.d/90krint-unsafe-io"
  find "$root/dev" -mindepth 1 -delete
}

cleanup_rootfs() {
  local root=$1
  unmount_rootfs
  [ -n "$root" ] && [ -d "$root" ] && rm -rf "$root" "$root.apt.log"
}
