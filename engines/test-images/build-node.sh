#!/usr/bin/env bash
# node:20-bookworm-slim stand-in, the base of Krint's own Dockerfile: the Debian bookworm base with
# this machine's Node.js (a self-contained binary) and npm, laid out as the official image does.
# usage: build-node.sh [IMAGE_NAME]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

NAME=${1:-node:20-bookworm-slim}
start=$(now)
node_bin=$(readlink -f "$(command -v node)") || die "node is not installed on this machine"
version=$("$node_bin" --version)
[[ $version == v20.* ]] || die "this machine's Node.js is $version; $NAME needs a 20.x"
# Headers for native addons (node-gyp finds them beside the binary, as in the official image).
include_dir=$(dirname "$(dirname "$node_bin")")/include/node
[ -f "$include_dir/node_version.h" ] || die "Node.js headers are not in $include_dir"
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
[ -f "$npm_dir/package.json" ] || die "npm's package folder was not found beside $(command -v npm)"
# The binary must need nothing but the C and C++ runtime that the base has.
if ldd "$node_bin" | grep -v -E 'linux-vdso|ld-linux|lib(c|m|dl|pthread|stdc\+\+|gcc_s)\.so' | grep -q '=>'; then
  die "$node_bin links libraries the image would lack: $(ldd "$node_bin" | tr '\n' ' ')"
fi

root=$(new_rootfs)
trap 'cleanup_rootfs "$root"' EXIT
# The official image's account: node, uid/gid 1000.
chroot "$root" groupadd -g 1000 node
chroot "$root" useradd -g node -u 1000 -m -s /bin/bash node
install -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
cp -a "$include_dir" "$root/usr/local/include/node"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
# As the official image: a first argument that is an option, or no command found by that name, runs node.
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
SH
chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
chroot "$root" node -e 'process.exit(0)' || die "node does not run inside the image's root file system"

slim_rootfs "$root"
import_rootfs "$root" "$NAME" \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c "ENV NODE_VERSION=${version#v}" \
  -c 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  -c 'CMD ["node"]'
drop_replaced_image
log "node ($version) done in $(( $(now) - start ))s"
