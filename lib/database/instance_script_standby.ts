/**
 * The standby's part of the instance script (`instance_script.ts`): the
 * replication password file, the pod's own slot on the primary, a clone of
 * the primary, and turning a former primary into a standby.
 *
 * @module
 */

/**
 * `write_passfile`, `ensure_own_slot`, `clone`, `convert_to_standby` and
 * `prepare_standby` (a clone, or a former primary rewound).
 */
export const STANDBY_FUNCTIONS: string = String.raw`
# The libpq password file for the replication role (libpq reads PGPASSFILE;
# the postmaster's WAL receiver inherits it): no password on a command line.
write_passfile() {
  mkdir -p "$PGOP_RUN_DIR" && chmod 700 "$PGOP_RUN_DIR" || return 1
  (umask 077 && printf '*:*:*:%s:%s\n' "$PGOP_REPLICATION_USER" \
    "$(printf '%s' "$PGOP_REPLICATION_PASSWORD" | sed 's/[\\:]/\\&/g')" >"$PGPASSFILE")
}

primary_reachable() {
  pg_isready -q -h "$PGOP_PRIMARY_HOST" -p "$PGOP_PRIMARY_PORT"
}

# NAME-rw answers from a primary: out of recovery. A switchover's target is an
# endpoint from its relabel (Ready from its last probe as a standby) until its
# next probe, possibly before it has promoted; a clone or a pg_rewind from it
# then would start from a standby whose timeline is not yet the new one.
primary_promoted() {
  [ "$(primary_sql -c 'select pg_is_in_recovery()' 2>/dev/null)" = f ]
}

# This pod's slot on the primary, so the primary keeps the WAL it has not streamed yet.
ensure_own_slot() {
  primary_sql -c "select pg_create_physical_replication_slot('$slot', true)
    where not exists (select from pg_replication_slots where slot_name = '$slot')" >/dev/null
}

clone() {
  ensure_own_slot || return 1
  rm -rf "$PGDATA.clone"
  log "cloning the primary $PGOP_PRIMARY_HOST:$PGOP_PRIMARY_PORT with slot $slot"
  if ! pg_basebackup -D "$PGDATA.clone" -h "$PGOP_PRIMARY_HOST" -p "$PGOP_PRIMARY_PORT" \
    -U "$PGOP_REPLICATION_USER" -w -X stream -S "$slot" --checkpoint=fast; then
    rm -rf "$PGDATA.clone"
    return 1
  fi
  touch "$PGDATA.clone/standby.signal"
  # An empty PGDATA (a fresh volume) makes way; anything else was refused before.
  if [ -d "$PGDATA" ]; then rmdir "$PGDATA" || return 1; fi
  mv "$PGDATA.clone" "$PGDATA"
}

# A former primary (no standby.signal) becomes a standby of NAME-rw: its own
# slots go (a standby would keep their WAL forever), and pg_rewind brings it
# back to the new primary's timeline; after a clean switchover its WAL is a
# prefix of that timeline and pg_rewind has nothing to do.
convert_to_standby() {
  rm -rf "$PGDATA"/pg_replslot/*
  # A primary that was killed (a lost node) is not shut down cleanly. pg_rewind
  # would run crash recovery itself, in single-user mode with the settings of
  # the configuration files, where wal_log_hints is off (it is on only on the
  # command line): the recovery would set unlogged hint bits, record the
  # setting as off, and pg_rewind then refuses the target. Recover here, with it
  # on, and with wal_keep_size: the recovery's checkpoints must not recycle the
  # WAL back to the last checkpoint before the timelines forked, which pg_rewind reads.
  state=$(LC_ALL=C pg_controldata -D "$PGDATA" | sed -n 's/^Database cluster state: *//p')
  case $state in
    'shut down' | 'shut down in recovery') ;;
    *)
      log "recovering the former primary after a crash ($state) before rewinding"
      postgres --single -D "$PGDATA" -c wal_log_hints=on -c wal_keep_size=1000000 template1 \
        </dev/null >/dev/null || return 1
      ;;
  esac
  log "rewinding the former primary onto $PGOP_PRIMARY_HOST:$PGOP_PRIMARY_PORT if needed"
  if ! pg_rewind -D "$PGDATA" --source-server="host=$PGOP_PRIMARY_HOST port=$PGOP_PRIMARY_PORT \
user=$PGOP_REPLICATION_USER dbname=postgres"; then
    # Its WAL back to the fork is gone, or worse: a clone replaces what the
    # fail-over gave up anyway, but only data of the same system (never a
    # server of its own, whose data someone must decide about).
    rewind_failures=$((rewind_failures + 1))
    if [ "$rewind_failures" -ge 5 ] && same_system; then
      log "pg_rewind failed $rewind_failures times; cloning the new primary instead"
      touch "$PGDATA.reclone"
    fi
    return 1
  fi
  touch "$PGDATA/standby.signal"
}

# The primary at NAME-rw has this data directory's system identifier (a clone of it, or its origin).
same_system() {
  mine=$(LC_ALL=C pg_controldata -D "$PGDATA" | sed -n 's/^Database system identifier: *//p')
  theirs=$(psql -X -A -t -w -c IDENTIFY_SYSTEM "host=$PGOP_PRIMARY_HOST port=$PGOP_PRIMARY_PORT \
user=$PGOP_REPLICATION_USER replication=true" 2>/dev/null | cut -d '|' -f 1)
  [ -n "$mine" ] && [ "$mine" = "$theirs" ]
}

prepare_standby() {
  if [ -f "$PGDATA.reclone" ]; then
    primary_promoted || return 1
    log "removing the standby's data to clone it again"
    rm -rf "$PGDATA" && rm -f "$PGDATA.reclone" || return 1
  fi
  if [ -s "$PGDATA/PG_VERSION" ] && [ -f "$PGDATA/standby.signal" ]; then return 0; fi
  if ! primary_promoted; then return 1; fi
  if [ -s "$PGDATA/PG_VERSION" ]; then convert_to_standby; else clone; fi
}
`;
