#!/usr/bin/env bash
# Builds the Krint image (`krint:latest`, or the name given) from this checkout:
#   bash scripts/build-image.sh [NAME]
# - Where no image registry is reachable, the base image node:20-bookworm-slim is built locally
#   first (engines/test-images/build-node.sh), only when it is missing.
# - BuildKit is needed for the build secret; Debian's docker.io client has it built in, while a
#   client without the buildx plugin refuses DOCKER_BUILDKIT=1, so that client is preferred.
# - NODE_EXTRA_CA_CERTS, when set, is handed to npm inside the build as a secret.
# - A clean checkout whose image already carries its source tree's id (label krint.source) is
#   not built again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name=${1:-krint:latest}

docker_client=docker
debian_client=$(dpkg -L docker.io 2>/dev/null | grep 'bin/docker$' || true)
[ -n "$debian_client" ] && docker_client=$debian_client
if ! "$docker_client" image inspect node:20-bookworm-slim >/dev/null 2>&1; then
  "$docker_client" pull node:20-bookworm-slim 2>/dev/null || bash engines/test-images/build-all.sh node:20-bookworm-slim
fi
source_id=""
if git rev-parse --git-dir >/dev/null 2>&1 && [ -z "$(git status --porcelain 2>/dev/null)" ]; then
  source_id=$(git rev-parse 'HEAD^{tree}')
  if [ "$("$docker_client" image inspect -f '{{ index .Config.Labels "krint.source" }}' "$name" 2>/dev/null)" = "$source_id" ]; then
    echo "$name is already built from this source tree ($source_id)"
    exit 0
  fi
fi
secret=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then secret=(--secret "id=ca,src=$NODE_EXTRA_CA_CERTS"); fi
start=$(date +%s)
DOCKER_BUILDKIT=1 "$docker_client" build ${secret[@]+"${secret[@]}"} ${source_id:+--label "krint.source=$source_id"} -t "$name" .
echo "built $name in $(( $(date +%s) - start ))s ($("$docker_client" image inspect -f '{{.Size}}' "$name" | awk '{ printf "%.0f MB", $1/1e6 }'))"
