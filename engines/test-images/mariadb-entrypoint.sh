#!/usr/bin/env bash
# Entrypoint of the local mariadb:10.11 test image. Follows the contract of the official image's
# docker-entrypoint.sh (a subset, written from its documented behaviour):
#   MARIADB_ROOT_PASSWORD | MYSQL_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD |
#   MYSQL_ALLOW_EMPTY_PASSWORD, MARIADB_RANDOM_ROOT_PASSWORD | MYSQL_RANDOM_ROOT_PASSWORD,
#   MARIADB_ROOT_HOST (default %), MARIADB_DATABASE | MYSQL_DATABASE,
#   MARIADB_USER | MYSQL_USER with MARIADB_PASSWORD | MYSQL_PASSWORD, MARIADB_INITDB_SKIP_TZINFO,
#   *_FILE variants, /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz|*.sql.xz|*.sql.zst.
# On the first start (no $DATADIR/mysql) it runs mariadb-install-db, starts a temporary server
# with --skip-networking, sets the root password for 'root'@'localhost' and 'root'@'%', creates
# the database and user, stops the temporary server, then execs mariadbd (PID 1, user mysql,
# listening on 0.0.0.0:3306).
set -eo pipefail
shopt -s nullglob

mysql_log() { local type=$1; shift; printf '%s [%s] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$type" "$*"; }
mysql_note() { mysql_log Note "$@"; }
mysql_warn() { mysql_log Warn "$@" >&2; }
mysql_error() { mysql_log ERROR "$@" >&2; exit 1; }

# usage: file_env VAR [DEFAULT] — VAR or VAR_FILE; the MARIADB_* name wins over its MYSQL_* alias.
file_env() {
  local var=$1 fileVar="${1}_FILE" def="${2:-}"
  if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then
    mysql_error "Both $var and $fileVar are set (but are exclusive)"
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

# usage: alias_env MARIADB_X MYSQL_X [DEFAULT]
alias_env() {
  local mariadb=$1 mysql=$2 def="${3:-}"
  file_env "$mysql"
  file_env "$mariadb" "${!mysql:-$def}"
  export "$mysql"="${!mariadb}"
}

# Is "$@" a plain server start (no --help/--version style option)?
is_server_start() {
  local arg
  for arg; do
    case "$arg" in
      -'?'|--help|--print-defaults|-V|--version) return 1 ;;
    esac
  done
  return 0
}

# value of a server option as the server would see it with these arguments
mysql_get_config() {
  local conf=$1; shift
  "$@" --verbose --help 2>/dev/null | awk -v conf="$conf" '$1 == conf && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }'
}

setup_env() {
  alias_env MARIADB_ROOT_PASSWORD MYSQL_ROOT_PASSWORD
  alias_env MARIADB_ROOT_HOST MYSQL_ROOT_HOST '%'
  alias_env MARIADB_DATABASE MYSQL_DATABASE
  alias_env MARIADB_USER MYSQL_USER
  alias_env MARIADB_PASSWORD MYSQL_PASSWORD
  alias_env MARIADB_ALLOW_EMPTY_ROOT_PASSWORD MYSQL_ALLOW_EMPTY_PASSWORD
  alias_env MARIADB_RANDOM_ROOT_PASSWORD MYSQL_RANDOM_ROOT_PASSWORD
  alias_env MARIADB_INITDB_SKIP_TZINFO MYSQL_INITDB_SKIP_TZINFO
  DATADIR=$(mysql_get_config datadir "$@")
  DATADIR=${DATADIR:-/var/lib/mysql/}
  SOCKET=$(mysql_get_config socket "$@")
  SOCKET=${SOCKET:-/run/mysqld/mysqld.sock}
  DATABASE_ALREADY_EXISTS=
  if [ -d "$DATADIR/mysql" ]; then DATABASE_ALREADY_EXISTS=true; fi
}

create_db_directories() {
  mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
  if [ "$(id -u)" = 0 ]; then
    find "$DATADIR" \! -user mysql -exec chown mysql: '{}' +
    chown mysql: "$(dirname "$SOCKET")"
  fi
}

verify_minimum_env() {
  if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ] && [ -z "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
    mysql_error $'Database is uninitialized and password option is not specified\n\tYou need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD'
  fi
  if [ -n "$MARIADB_USER" ] && [ -z "$MARIADB_PASSWORD" ]; then
    mysql_warn "MARIADB_USER is set but MARIADB_PASSWORD is empty: the user will have no password"
  fi
  if [ "$MARIADB_USER" = root ]; then
    mysql_error "MARIADB_USER=root: use MARIADB_ROOT_PASSWORD for root, MARIADB_USER creates another user"
  fi
}

# escape a value for a single-quoted SQL string literal
sql_escape_string_literal() {
  local escaped=${1//\\/\\\\}
  escaped=${escaped//\'/\\\'}
  printf '%s' "$escaped"
}

# escape a value for a backquoted identifier
sql_escape_identifier() { printf '%s' "${1//\`/\`\`}"; }

docker_process_sql() {
  if [ -n "$MARIADB_DATABASE" ] && [ "${1:-}" != --no-database ]; then
    set -- --database="$MARIADB_DATABASE" "$@"
  else
    [ "${1:-}" = --no-database ] && shift
  fi
  mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" --password="${TEMP_ROOT_PASSWORD:-}" "$@"
}

temp_server_start() {
  "$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" --wsrep_on=OFF \
    --expire-logs-days=0 --skip-slave-start \
    --loose-innodb_buffer_pool_load_at_startup=0 --loose-innodb_buffer_pool_dump_at_shutdown=0 &
  MARIADB_TEMP_PID=$!
  mysql_note "Waiting for server startup"
  local i
  for i in $(seq 60); do
    if mariadb-admin --protocol=socket --socket="$SOCKET" -uroot --password= ping >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$MARIADB_TEMP_PID" 2>/dev/null; then
      mysql_error "Temporary server exited during startup"
    fi
    sleep 0.5
  done
  mysql_error "Unable to start the temporary server"
}

temp_server_stop() {
  kill "$MARIADB_TEMP_PID"
  wait "$MARIADB_TEMP_PID" || mysql_error "Temporary server did not shut down cleanly"
}

init_database_dir() {
  mysql_note "Initializing database files"
  # --auth-root-authentication-method=normal: root@localhost authenticates with a password
  # (set below), like the official image, not through unix_socket.
  mariadb-install-db --rpm --auth-root-authentication-method=normal --skip-test-db \
    --old-mode='UTF8_IS_UTF8MB3' --default-time-zone=SYSTEM --enforce-storage-engine= \
    --skip-log-bin --expire-logs-days=0 \
    --loose-innodb_buffer_pool_load_at_startup=0 --loose-innodb_buffer_pool_dump_at_shutdown=0 \
    --datadir="$DATADIR" "${@:2}" >/dev/null
  mysql_note "Database files initialized"
}

setup_db() {
  if [ -z "$MARIADB_INITDB_SKIP_TZINFO" ]; then
    mysql_note "Loading time zone information"
    mariadb-tzinfo-to-sql --skip-write-binlog /usr/share/zoneinfo | docker_process_sql --no-database mysql
  fi
  if [ -n "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
    MARIADB_ROOT_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 32)
    export MARIADB_ROOT_PASSWORD MYSQL_ROOT_PASSWORD=$MARIADB_ROOT_PASSWORD
    mysql_note "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
  fi
  local rootPasswordEscaped rootHost createRootRemote="" createDatabase="" createUser="" userGrants=""
  rootPasswordEscaped=$(sql_escape_string_literal "$MARIADB_ROOT_PASSWORD")
  rootHost=$(sql_escape_string_literal "$MARIADB_ROOT_HOST")
  if [ -n "$MARIADB_ROOT_HOST" ] && [ "$MARIADB_ROOT_HOST" != localhost ]; then
    createRootRemote="CREATE USER 'root'@'${rootHost}' IDENTIFIED BY '${rootPasswordEscaped}' ;
GRANT ALL ON *.* TO 'root'@'${rootHost}' WITH GRANT OPTION ;
GRANT PROXY ON ''@'%' TO 'root'@'${rootHost}' WITH GRANT OPTION ;"
  fi
  if [ -n "$MARIADB_DATABASE" ]; then
    mysql_note "Creating database ${MARIADB_DATABASE}"
    createDatabase="CREATE DATABASE IF NOT EXISTS \`$(sql_escape_identifier "$MARIADB_DATABASE")\` ;"
  fi
  if [ -n "$MARIADB_USER" ]; then
    mysql_note "Creating user ${MARIADB_USER}"
    local userEscaped passwordEscaped
    userEscaped=$(sql_escape_string_literal "$MARIADB_USER")
    passwordEscaped=$(sql_escape_string_literal "$MARIADB_PASSWORD")
    createUser="CREATE USER '${userEscaped}'@'%' IDENTIFIED BY '${passwordEscaped}' ;"
    if [ -n "$MARIADB_DATABASE" ]; then
      mysql_note "Giving user ${MARIADB_USER} access to schema ${MARIADB_DATABASE}"
      userGrants="GRANT ALL ON \`$(sql_escape_identifier "$MARIADB_DATABASE")\`.* TO '${userEscaped}'@'%' ;"
    fi
  fi
  mysql_note "Securing system users"
  # no binary logging of the setup; no backslash-free sql_mode surprises
  docker_process_sql --no-database --binary-mode <<-EOSQL
	SET @orig_sql_log_bin= @@SESSION.SQL_LOG_BIN;
	SET @@SESSION.SQL_LOG_BIN=0;
	SET @@SESSION.SQL_MODE=REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');
	DROP USER IF EXISTS root@'127.0.0.1', root@'::1';
	EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\'', @@hostname,'\'');
	SET PASSWORD FOR 'root'@'localhost'= PASSWORD('${rootPasswordEscaped}') ;
	${createRootRemote}
	DROP DATABASE IF EXISTS test ;
	${createDatabase}
	${createUser}
	${userGrants}
	SET @@SESSION.SQL_LOG_BIN=@orig_sql_log_bin;
	EOSQL
  TEMP_ROOT_PASSWORD=$MARIADB_ROOT_PASSWORD
}

process_init_files() {
  local f
  echo
  for f; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then mysql_note "$0: running $f"; "$f"; else mysql_note "$0: sourcing $f"; . "$f"; fi ;;
      *.sql) mysql_note "$0: running $f"; docker_process_sql <"$f" ;;
      *.sql.bz2) mysql_note "$0: running $f"; bunzip2 -c "$f" | docker_process_sql ;;
      *.sql.gz) mysql_note "$0: running $f"; gunzip -c "$f" | docker_process_sql ;;
      *.sql.xz) mysql_note "$0: running $f"; xzcat "$f" | docker_process_sql ;;
      *.sql.zst) mysql_note "$0: running $f"; zstd -dc "$f" | docker_process_sql ;;
      *) mysql_warn "$0: ignoring $f" ;;
    esac
  done
}

main() {
  # first arg is `-f` or `--some-option`: options for mariadbd
  if [ "${1:0:1}" = '-' ]; then
    set -- mariadbd "$@"
  fi

  if { [ "$1" = mariadbd ] || [ "$1" = mysqld ]; } && is_server_start "$@"; then
    mysql_note "Entrypoint script for MariaDB Server started."
    setup_env "$@"
    create_db_directories
    if [ "$(id -u)" = 0 ]; then
      mysql_note "Switching to dedicated user 'mysql'"
      export HOME=/var/lib/mysql USER=mysql LOGNAME=mysql
      exec setpriv --reuid=mysql --regid=mysql --init-groups "${BASH_SOURCE[0]}" "$@"
    fi

    if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
      verify_minimum_env
      # a leftover socket from a killed container would stop the temporary server
      rm -f "$SOCKET" "$SOCKET.lock"
      init_database_dir "$@"
      mysql_note "Starting temporary server"
      temp_server_start "$@"
      mysql_note "Temporary server started."
      setup_db
      process_init_files /docker-entrypoint-initdb.d/*
      mysql_note "Stopping temporary server"
      temp_server_stop
      mysql_note "Temporary server stopped"
      echo
      mysql_note "MariaDB init process done. Ready for start up."
      echo
    fi
  fi
  exec "$@"
}

main "$@"
