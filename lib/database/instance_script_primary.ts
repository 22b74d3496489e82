/**
 * The primary's part of the instance script (`instance_script.ts`): first-time
 * initialisation with the official image's environment contract, the
 * replication role, slots, and synchronous standby names.
 *
 * @module
 */

/**
 * The shell functions `init_primary`, `ensure_hba`, `setup_primary` and
 * `primary_upkeep`, reading the synchronous count and the replica count from
 * the pod annotations named.
 */
export function primaryFunctions(
  synchronousAnnotation: string,
  replicasAnnotation: string,
): string {
  return String.raw`
# A new data directory, as the official image's entrypoint makes one:
# scram-sha-256 over TCP, trust on the socket inside the pod, POSTGRES_DB
# created and /docker-entrypoint-initdb.d run through a socket-only server.
init_primary() {
  if [ -z "$POSTGRES_PASSWORD" ]; then
    log "POSTGRES_PASSWORD is empty; a new database needs a superuser password"
    return 1
  fi
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA" || return 1
  if [ -n "$(ls -A "$PGDATA")" ]; then
    log "$PGDATA is not empty but holds no database (no PG_VERSION); not touching it"
    return 1
  fi
  log "initialising $PGDATA"
  (umask 077 && printf '%s\n' "$POSTGRES_PASSWORD" >"$PGOP_RUN_DIR/pw")
  # POSTGRES_INITDB_ARGS is a list of words by the image's contract.
  initdb --username="$POSTGRES_USER" --pwfile="$PGOP_RUN_DIR/pw" --auth-local=trust \
    --auth-host=scram-sha-256 $POSTGRES_INITDB_ARGS
  status=$?
  rm -f "$PGOP_RUN_DIR/pw"
  [ "$status" = 0 ] || return 1
  printf '%s\n' 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  ensure_hba
  # The temporary server's socket is not the usual one, so the readiness
  # probe fails meanwhile; PGHOST points there until it stops.
  PGHOST=$PGOP_RUN_DIR
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories='$PGHOST'" start ||
    return 1
  if [ "$POSTGRES_DB" != postgres ]; then
    sql -c "create database \"$POSTGRES_DB\"" >/dev/null || return 1
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh) log "running $f" && . "$f" ;;
      *.sql) log "running $f" && psql -X -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  status=$?
  PGHOST=$socket_dir
  return "$status"
}

# Replication connections by the replication role only (also for volumes
# made by an image's own entrypoint).
ensure_hba() {
  grep -q "^host replication $PGOP_REPLICATION_USER all " "$PGDATA/pg_hba.conf" ||
    printf 'host replication %s all scram-sha-256\n' "$PGOP_REPLICATION_USER" >>"$PGDATA/pg_hba.conf"
}

# Once per start or promotion: the replication role with its password, the
# functions pg_rewind needs granted to it (so no superuser password leaves the pod),
# and pg_read_all_stats, so that pgop, logging in as it, sees each standby's
# replay position in pg_stat_replication (hidden from other roles).
#
# Slots and synchronous names first, and these commits local only: a promoted
# standby inherits the old primary's synchronous_standby_names (ALTER SYSTEM
# is in postgresql.auto.conf, which pg_basebackup copies), which may name only
# itself or a lost pod; a commit waiting for them would block this forever.
setup_primary() {
  upkept=
  primary_upkeep
  u=$PGOP_REPLICATION_USER
  {
    printf 'set synchronous_commit = local;\n'
    printf '%s\n' "select 'create role $u' where not exists (select from pg_roles where rolname = '$u') \gexec"
    printf 'alter role %s with replication login password %s;\n' "$u" "$(literal "$PGOP_REPLICATION_PASSWORD")"
    printf 'grant execute on function pg_catalog.%s to %s;\n' \
      'pg_ls_dir(text, boolean, boolean)' "$u" 'pg_stat_file(text, boolean)' "$u" \
      'pg_read_binary_file(text)' "$u" 'pg_read_binary_file(text, bigint, bigint, boolean)' "$u"
    printf 'grant pg_read_all_stats to %s;\n' "$u"
  } | sql >/dev/null || log "could not set up the replication role"
}

# Slots of the other pods exist and those of removed pods go; synchronous
# standby names follow the annotations. Runs when the annotations change, and
# again while a removed pod's slot is left: a standby that still streams as
# its pod is being removed keeps its slot active until it has stopped.
primary_upkeep() {
  n=$(meta_number ${replicasAnnotation})
  k=$(meta_number ${synchronousAnnotation})
  [ "$upkept" != "$n/$k" ] || return 0
  left=0
  if [ "$n" -gt 0 ]; then
    prefix=pgop_$(printf '%s' "$sts" | tr -- '-' '_')_
    sql -c "select pg_create_physical_replication_slot(s, true)
        from (select '$prefix' || i as s from generate_series(0, $n - 1) i where i <> $ordinal) m
        where not exists (select from pg_replication_slots where slot_name = m.s)" \
      -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
        where not active and slot_name ~ '^$prefix[0-9]+\$'
        and (substring(slot_name from '([0-9]+)\$')::int >= $n or slot_name = '$slot')" \
      >/dev/null || return 0
    left=$(sql -c "select count(*) from pg_replication_slots where slot_name ~ '^$prefix[0-9]+\$'
        and substring(slot_name from '([0-9]+)\$')::int >= $n") || return 0
  fi
  names=
  i=0
  while [ "$i" -lt "$n" ]; do
    if [ "$i" != "$ordinal" ]; then
      [ -z "$names" ] || names="$names, "
      names="$names\"$sts-$i\""
    fi
    i=$((i + 1))
  done
  want=
  [ "$k" = 0 ] || [ -z "$names" ] || want="ANY $k ($names)"
  if [ "$(sql -c 'show synchronous_standby_names')" != "$want" ]; then
    if [ -z "$want" ]; then
      sql -c 'alter system reset synchronous_standby_names' >/dev/null || return 0
    else
      sql -c "alter system set synchronous_standby_names = $(literal "$want")" >/dev/null || return 0
    fi
    sql -c 'select pg_reload_conf()' >/dev/null
    log "synchronous_standby_names = '$want'"
  fi
  [ "$left" != 0 ] || upkept=$n/$k
}
`;
}
