#!/bin/sh
# Entrypoint of pgop.local/postgres: the environment contract of the official
# postgres image, on Debian's PostgreSQL packages.
#
#   POSTGRES_PASSWORD     superuser password (required for a new data directory)
#   POSTGRES_USER         superuser name (default postgres)
#   POSTGRES_DB           database created at first start (default $POSTGRES_USER)
#   PGDATA                data directory (default /var/lib/postgresql/data)
#   POSTGRES_INITDB_ARGS  extra initdb arguments
#   /docker-entrypoint-initdb.d/*.sql, *.sh   run once, after the database exists
#
# A new data directory is made with initdb (scram-sha-256 for every TCP
# connection, trust only on the socket inside the container), the database is
# created through a temporary server listening on the socket alone, then
# PostgreSQL replaces this shell and listens on every address.
set -eu

# `docker run IMAGE -c opt=x` means postgres with options.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "entrypoint: POSTGRES_PASSWORD is empty; a new database needs a superuser password" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  if [ -n "$(ls -A "$PGDATA")" ]; then
    echo "entrypoint: $PGDATA is not empty but holds no database (no PG_VERSION)" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words by contract.
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  trap - EXIT
  # initdb's host lines cover loopback only; clients come from other pods.
  printf '%s\n' 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"

  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start
  psql="psql -v ON_ERROR_STOP=1 --no-psqlrc --username=$POSTGRES_USER --no-password"
  if [ "$POSTGRES_DB" != postgres ]; then
    $psql --dbname=postgres --set=db="$POSTGRES_DB" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SQL
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "entrypoint: running $f" && . "$f" ;;
      *.sql) echo "entrypoint: running $f" && $psql --dbname="$POSTGRES_DB" -f "$f" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo "entrypoint: database initialised"
fi

shift
# First, so that a listen_addresses among the arguments wins.
exec postgres -c listen_addresses='*' "$@"
