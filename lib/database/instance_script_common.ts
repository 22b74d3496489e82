/**
 * The shared part of the instance script (`instance_script.ts`).
 *
 * @module
 */
import { POD_META_PATH, REPLICATION_USER, ROLE_LABEL } from "./roles.ts";

/**
 * Settings, logging, the pod's metadata, and small SQL helpers. Shell
 * parameter expansions with braces are avoided on purpose: they would clash
 * with this file's template literals.
 */
export const COMMON_FUNCTIONS: string = String.raw`
# Defaults for what the pod template sets; a test sets them all.
defaults() {
  [ -n "$POSTGRES_USER" ] || POSTGRES_USER=postgres
  [ -n "$POSTGRES_DB" ] || POSTGRES_DB=$POSTGRES_USER
  [ -n "$PGDATA" ] || PGDATA=/var/lib/postgresql/data
  [ -n "$PGHOST" ] || PGHOST=/var/run/postgresql
  [ -n "$PGOP_META" ] || PGOP_META=${POD_META_PATH}
  [ -n "$PGOP_RUN_DIR" ] || PGOP_RUN_DIR=/tmp/pgop
  [ -n "$PGOP_LISTEN" ] || PGOP_LISTEN='*'
  [ -n "$PGOP_PRIMARY_PORT" ] || PGOP_PRIMARY_PORT=5432
  [ -n "$PGOP_REPLICATION_USER" ] || PGOP_REPLICATION_USER=${REPLICATION_USER}
  [ -n "$PGOP_INTERVAL" ] || PGOP_INTERVAL=1
  [ -n "$PGOP_ROLE_TIMEOUT" ] || PGOP_ROLE_TIMEOUT=300
  [ -n "$PGOP_PROMOTE_TIMEOUT" ] || PGOP_PROMOTE_TIMEOUT=60
  [ -n "$PGOP_RECLONE_AFTER" ] || PGOP_RECLONE_AFTER=120
  [ -n "$PGOP_TERMINATION_LOG" ] || PGOP_TERMINATION_LOG=/dev/termination-log
  PGPASSFILE=$PGOP_RUN_DIR/pgpass
  socket_dir=$PGHOST
  export PGDATA PGHOST PGPASSFILE
  # NAME-i → NAME and i; the slot of this pod on the primary.
  sts=$(expr "$PGOP_POD_NAME" : '\(.*\)-[0-9]*$')
  ordinal=$(expr "$PGOP_POD_NAME" : '.*-\([0-9]*\)$')
  slot=pgop_$(printf '%s' "$PGOP_POD_NAME" | tr -- '-' '_')
}

log() {
  printf '%s pgop-instance: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# A value of the downward-API file $1 (labels or annotations) for key $2.
meta() {
  sed -n "s|^$2=\"\(.*\)\"\$|\1|p" "$PGOP_META/$1" 2>/dev/null
}

role() {
  meta labels ${ROLE_LABEL}
}

# A number from annotation $1, or 0.
meta_number() {
  n=$(meta annotations "$1")
  case $n in '' | *[!0-9]*) echo 0 ;; *) echo "$n" ;; esac
}

# SQL on the local server through its socket, as the superuser; one value per line.
sql() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres "$@"
}

# SQL on the primary (through NAME-rw) as the replication role.
primary_sql() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -w -h "$PGOP_PRIMARY_HOST" -p "$PGOP_PRIMARY_PORT" \
    -U "$PGOP_REPLICATION_USER" -d postgres "$@"
}

# $1 as an SQL string literal.
literal() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"
}

# Sleeps $1 seconds in the background, so that a signal is handled at once.
pause() {
  sleep "$1" &
  wait $!
}
`;
