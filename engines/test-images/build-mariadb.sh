#!/usr/bin/env bash
# mariadb:10.11 test image: Debian bookworm's mariadb-server and mariadb-client (10.11).
# usage: build-mariadb.sh [IMAGE_NAME]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

NAME=${1:-mariadb:10.11}
start=$(now)
APT_CACHE_KEY=mariadb
root=$(new_rootfs)
trap 'cleanup_rootfs "$root"' EXIT

# same account as the official image (uid/gid 999), created before the packages so they reuse it
chroot "$root" groupadd -r -g 999 mysql
chroot "$root" useradd -r -g mysql -u 999 -d /var/lib/mysql -s /usr/sbin/nologin mysql
chroot_install "$root" mariadb-server mariadb-client tzdata ca-certificates
version=$(chroot "$root" mariadbd --version | sed -n 's/.*Ver \([0-9.]*\)-MariaDB.*/\1/p')
[ -n "$version" ] || die "could not read the MariaDB version"

# like the official image: listen on every interface, no DNS lookups for client hosts
sed -ri 's/^(bind-address|skip-networking)/#&/' "$root"/etc/mysql/mariadb.conf.d/*.cnf
printf '[mariadb]\nhost-cache-size=0\nskip-name-resolve\n' >"$root/etc/mysql/mariadb.conf.d/05-skipcache.cnf"
# the package initialised a data directory at install time; the entrypoint does that per container
find "$root/var/lib/mysql" -mindepth 1 -delete
install -d -o 999 -g 999 -m 0755 "$root/var/lib/mysql" "$root/run/mysqld"
install -d "$root/docker-entrypoint-initdb.d"
install -m 0755 "$IMAGES_DIR/mariadb-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"

slim_rootfs "$root"
import_rootfs "$root" "$NAME" \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c "ENV MARIADB_VERSION=$version" \
  -c 'ENV LANG=C.UTF-8' \
  -c 'VOLUME /var/lib/mysql' \
  -c 'WORKDIR /' \
  -c 'EXPOSE 3306' \
  -c 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  -c 'CMD ["mariadbd"]'
drop_replaced_image
log "mariadb ($version) done in $(( $(now) - start ))s"
