#!/bin/sh
# Entrypoint of the local redis:7 test image, following the official image's contract:
#   - first argument an option (-x/--x) or a *.conf file: run redis-server with those arguments;
#   - redis-server started as root drops to the redis user and owns the working directory (/data);
#   - the official image's redis-server is compiled with protected mode off, so a server started
#     without arguments accepts connections on every interface. Debian's binary defaults to
#     protected mode on, so "--protected-mode no" is added unless the arguments (or the given
#     config file) set protected-mode themselves;
#   - umask 0077 when the umask is the default 0022; the server replaces this script (exec).
set -e

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  export HOME=/data USER=redis LOGNAME=redis
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "$1" = redis-server ]; then
  protected_set=no
  for arg in "$@"; do
    case "$arg" in
      --protected-mode|--protected-mode=*) protected_set=yes ;;
      *.conf) if [ -r "$arg" ] && grep -Eqi '^[[:space:]]*protected-mode[[:space:]]' "$arg"; then protected_set=yes; fi ;;
    esac
  done
  if [ "$protected_set" = no ]; then
    set -- "$@" --protected-mode no
  fi
fi

um="$(umask)"
if [ "$um" = '0022' ] || [ "$um" = '022' ]; then
  umask 0077
fi

exec "$@"
