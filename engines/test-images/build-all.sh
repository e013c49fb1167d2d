#!/usr/bin/env bash
# Build every local test image that is missing from the Docker daemon.
#   bash engines/test-images/build-all.sh            # build missing images
#   bash engines/test-images/build-all.sh --force    # rebuild all
#   bash engines/test-images/build-all.sh [--force] postgres:15 redis:7   # only these
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --force|-f) force=1 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) wanted+=("$arg") ;;
  esac
done

# name -> build command (order = build order)
ALL=(
  "krint-test/busybox:latest|build-busybox.sh"
  "postgres:15|build-postgres.sh 15"
  "redis:7|build-redis.sh"
  "mariadb:10.11|build-mariadb.sh"
  "postgres:16|build-postgres.sh 16"
  "postgres:17|build-postgres.sh 17"
  "postgres:18|build-postgres.sh 18"
)

docker info >/dev/null 2>&1 || die "docker daemon not reachable (docker info failed)"

total_start=$(now)
summary=()
for entry in "${ALL[@]}"; do
  name=${entry%%|*}
  cmd=${entry#*|}
  if [ ${#wanted[@]} -gt 0 ]; then
    match=0
    for w in "${wanted[@]}"; do [ "$w" = "$name" ] && match=1; done
    [ $match = 1 ] || continue
  fi
  if [ $force = 0 ] && image_exists "$name"; then
    summary+=("$name: present, skipped")
    continue
  fi
  log "building $name ($cmd)"
  t0=$(now)
  # shellcheck disable=SC2086
  bash "$IMAGES_DIR"/$cmd
  summary+=("$name: built in $(( $(now) - t0 ))s")
done

log "summary (total $(( $(now) - total_start ))s):"
for line in "${summary[@]}"; do log "  $line"; done
