#!/usr/bin/env bash
# redis:7 test image: Debian bookworm's redis-server (7.0) and redis-cli.
# usage: build-redis.sh [IMAGE_NAME]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

NAME=${1:-redis:7}
start=$(now)
APT_CACHE_KEY=redis
root=$(new_rootfs)
trap 'cleanup_rootfs "$root"' EXIT

# same account as the official image (uid/gid 999), created before the package so it is reused
chroot "$root" groupadd -r -g 999 redis
chroot "$root" useradd -r -g redis -u 999 -d /var/lib/redis -s /usr/sbin/nologin redis
chroot_install "$root" redis-server redis-tools tzdata
version=$(chroot "$root" redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')

install -d -o 999 -g 999 -m 0755 "$root/data"
install -m 0755 "$IMAGES_DIR/redis-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"

slim_rootfs "$root"
import_rootfs "$root" "$NAME" \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c "ENV REDIS_VERSION=$version" \
  -c 'VOLUME /data' \
  -c 'WORKDIR /data' \
  -c 'EXPOSE 6379' \
  -c 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  -c 'CMD ["redis-server"]'
drop_replaced_image
log "redis ($version) done in $(( $(now) - start ))s"
