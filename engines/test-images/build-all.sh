#!/usr/bin/env bash
# Build every local test image that is missing from the Docker daemon.
#   bash engines/test-images/build-all.sh            # build missing images
#   bash engines/test-images/build-all.sh --force    # rebuild all
#   bash engines/test-images/build-all.sh [--force] postgres:15 redis:7   # only these
# KRINT_IMAGE_PREFIX=scratch/ builds scratch/postgres:15 etc. instead (for trying changes without
# replacing the images other tests use).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --force|-f) force=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
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
  "node:20-bookworm-slim|build-node.sh"
)

for w in ${wanted[@]+"${wanted[@]}"}; do
  known=0
  for entry in "${ALL[@]}"; do [ "${entry%%|*}" = "$w" ] && known=1; done
  [ $known = 1 ] || die "unknown image $w (known: $(printf '%s ' "${ALL[@]%%|*}"))"
done

docker info >/dev/null 2>&1 || die "docker daemon not reachable (docker info failed)"

# Images are built in parallel (after the shared base root file system); KRINT_IMAGE_JOBS sets how
# many at once. Each build's output goes to a log file that is printed when it ends.
JOBS=${KRINT_IMAGE_JOBS:-3}
total_start=$(now)
logdir=$(mktemp -d "${TMPDIR:-/tmp}/krint-images.XXXXXX")
trap 'rm -rf "$logdir"' EXIT

todo=()
summary=()
for entry in "${ALL[@]}"; do
  name=${entry%%|*}
  if [ ${#wanted[@]} -gt 0 ]; then
    match=0
    for w in "${wanted[@]}"; do [ "$w" = "$name" ] && match=1; done
    [ $match = 1 ] || continue
  fi
  if [ $force = 0 ] && image_exists "${KRINT_IMAGE_PREFIX:-}$name"; then
    summary+=("$name: present, skipped")
  else
    todo+=("$entry")
  fi
done

# one build: runs in the background, leaves "<seconds>" or "FAILED" in $logdir/N.result
build_one() {
  local i=$1 name=$2 cmd=$3 t0 rc=0
  t0=$(now)
  # shellcheck disable=SC2086
  bash "$IMAGES_DIR"/$cmd "${KRINT_IMAGE_PREFIX:-}$name" >"$logdir/$i.log" 2>&1 || rc=$?
  if [ $rc = 0 ]; then echo "$(( $(now) - t0 ))" >"$logdir/$i.result"; else echo FAILED >"$logdir/$i.result"; fi
  return $rc
}

if [ ${#todo[@]} -gt 0 ]; then
  needs_base=0
  for entry in "${todo[@]}"; do [[ $entry == *build-busybox.sh ]] || needs_base=1; done
  if [ $needs_base = 1 ]; then
    t0=$(now)
    bash "$IMAGES_DIR/build-base.sh"
    summary+=("base root file system: ready in $(( $(now) - t0 ))s")
  fi
  declare -A pid_of=()
  running=0
  i=0
  for entry in "${todo[@]}"; do
    name=${entry%%|*}
    cmd=${entry#*|}
    while [ "$running" -ge "$JOBS" ]; do wait -n || true; running=$(jobs -rp | wc -l); done
    log "building ${KRINT_IMAGE_PREFIX:-}$name ($cmd)"
    build_one "$i" "$name" "$cmd" &
    pid_of[$i]=$!
    running=$(jobs -rp | wc -l)
    i=$((i + 1))
  done
  failed=0
  i=0
  for entry in "${todo[@]}"; do
    name=${entry%%|*}
    wait "${pid_of[$i]}" || true
    result=$(cat "$logdir/$i.result" 2>/dev/null || echo FAILED)
    if [ "$result" = FAILED ]; then
      failed=1
      log "---- $name FAILED; its log:"
      cat "$logdir/$i.log" >&2
      summary+=("$name: FAILED")
    else
      grep -v -e '^Get:' -e '^Fetched ' "$logdir/$i.log" >&2 || true
      summary+=("$name: built in ${result}s")
    fi
    i=$((i + 1))
  done
fi

log "summary (total $(( $(now) - total_start ))s):"
for line in "${summary[@]}"; do log "  $line"; done
[ "${failed:-0}" = 0 ] || die "some images failed to build"
