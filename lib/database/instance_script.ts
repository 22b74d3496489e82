/**
 * The entrypoint pgop gives every PostgreSQL pod: a POSIX `sh` script that
 * makes the PostgreSQL in the pod play the role its label names (primary or
 * streaming standby) and follows relabelling (promote, or demote and rejoin).
 * It uses only what the official `postgres` images and `pgop.local/postgres`
 * have on `PATH`: sh, sed, date, initdb, pg_ctl, postgres, pg_basebackup,
 * pg_rewind, pg_controldata, psql, pg_isready. `docs/replication.md` explains
 * the design; `tests/instance_script_test.ts` runs it against real PostgreSQL.
 *
 * With the text in `$PGOP_SCRIPT`, `sh -c 'eval "$PGOP_SCRIPT"' pgop-instance run`
 * runs the instance and `… ready` is the readiness probe ("serves its role": a primary out of recovery, a standby
 * streaming).
 *
 * The text is written for reading (comments, indentation);
 * {@link compactScript} strips both for the pod template.
 *
 * @module
 */
import {
  DEMOTE_ID_ANNOTATION,
  DEMOTED_MESSAGE_PREFIX,
  PROMOTE_AFTER_LSN_ANNOTATION,
  PROMOTE_DEADLINE_ANNOTATION,
  REPLICAS_ANNOTATION,
  ROLE_LABEL,
  SYNCHRONOUS_ANNOTATION,
} from "./roles.ts";
import { COMMON_FUNCTIONS } from "./instance_script_common.ts";
import { primaryFunctions } from "./instance_script_primary.ts";
import { STANDBY_FUNCTIONS } from "./instance_script_standby.ts";
import { FENCE_FUNCTIONS } from "./instance_script_fence.ts";

/** The readiness probe: the pod serves the role its label names. */
const READY = String.raw`
ready() {
  case $(role) in
    primary) q='select not pg_is_in_recovery()' ;;
    replica) q="select pg_is_in_recovery() and exists (select from pg_stat_wal_receiver where status = 'streaming')" ;;
    *) return 1 ;;
  esac
  [ "$(sql -c "$q" 2>/dev/null)" = t ]
}
`;

/**
 * The liveness and startup probe: PostgreSQL answers, or the script is still
 * preparing (waiting for its label or a primary, cloning), which may take
 * longer than any probe budget and must not get the container killed.
 */
const ALIVE = String.raw`
alive() {
  pg_isready -q || [ -f "$PGOP_RUN_DIR/preparing" ]
}
`;

/** Start-up, the monitor loop, promotion, demotion and signals. */
const MAIN = String.raw`
wait_for_role() {
  waited=0
  while :; do
    case $(role) in primary | replica) return 0 ;; esac
    if [ "$waited" -ge "$PGOP_ROLE_TIMEOUT" ]; then
      log "no ${ROLE_LABEL} label after $waited s; exiting"
      return 1
    fi
    [ $((waited % 10)) -ne 0 ] || log "waiting for the ${ROLE_LABEL} label"
    pause 1
    waited=$((waited + 1))
  done
}

# The data directory in the shape the label asks for, before PostgreSQL starts:
# a replica never starts as a primary, not even for a moment.
prepare() {
  waited=0
  while :; do
    case $(role) in
      primary)
        rm -f "$PGDATA.reclone"
        # A standby's data starts in recovery, and promote() checks for another primary.
        if [ -s "$PGDATA/PG_VERSION" ] && [ -f "$PGDATA/standby.signal" ]; then
          return 0
        elif other_primary; then
          [ $((waited % 10)) -ne 0 ] || log "another primary answers at $PGOP_PRIMARY_HOST; waiting"
        elif [ -s "$PGDATA/PG_VERSION" ]; then
          return 0
        elif may_init; then
          init_primary
          return
        elif [ $((waited % 10)) -eq 0 ]; then
          log "labelled primary by a fail-over but $PGDATA holds no database; waiting for a relabel"
        fi
        ;;
      replica)
        if [ -d "$PGDATA" ] && [ ! -s "$PGDATA/PG_VERSION" ] && [ -n "$(ls -A "$PGDATA")" ]; then
          log "$PGDATA is not empty but holds no database (no PG_VERSION); not touching it"
          return 1
        fi
        prepare_standby && return 0
        [ $((waited % 10)) -ne 0 ] || log "waiting for the primary to clone or rewind from"
        ;;
    esac
    pause 1
    waited=$((waited + 1))
  done
}

start_postgres() {
  ensure_hba
  postgres -D "$PGDATA" -c listen_addresses="$PGOP_LISTEN" -c unix_socket_directories="$PGHOST" \
    -c wal_log_hints=on -c hot_standby=on -c primary_slot_name="$slot" \
    -c "primary_conninfo=host=$PGOP_PRIMARY_HOST port=$PGOP_PRIMARY_PORT user=$PGOP_REPLICATION_USER application_name=$PGOP_POD_NAME" &
  pg_pid=$!
}

# Labelled primary while a standby: promote, once the old primary's final LSN
# (if pgop gave one) has been replayed, and only before pgop's deadline (else
# PGOP_PROMOTE_TIMEOUT after it first tried). Past it, it refuses until
# relabelled, also across restarts (a file beside PGDATA names the LSN), so
# pgop's rollback after the deadline can never race a late promotion.
promote() {
  lsn=$(meta annotations ${PROMOTE_AFTER_LSN_ANNOTATION})
  if [ -n "$lsn" ]; then
    if [ "$(cat "$PGDATA.refused" 2>/dev/null)" = "$lsn" ]; then
      [ -n "$told" ] || log "refused to promote at $lsn before; waiting to be relabelled"
      told=1
      return 0
    fi
    now=$(date +%s)
    [ -n "$promote_since" ] || promote_since=$now
    deadline=$(meta_number ${PROMOTE_DEADLINE_ANNOTATION})
    [ "$deadline" != 0 ] || deadline=$((promote_since + PGOP_PROMOTE_TIMEOUT))
    case $lsn in *[!0-9A-F/]*)
      log "refusing to promote: ${PROMOTE_AFTER_LSN_ANNOTATION} $lsn is not an LSN"
      printf '%s' "$lsn" >"$PGDATA.refused"
      return 0
      ;;
    esac
    if [ "$(sql -c "select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '$lsn') > 0")" != t ]; then
      if [ "$now" -gt "$deadline" ]; then
        log "refusing to promote: $lsn not replayed by the deadline"
        printf '%s' "$lsn" >"$PGDATA.refused"
      fi
      return 0
    fi
    if [ "$now" -gt "$deadline" ]; then
      log "refusing to promote: replayed $lsn only after the deadline"
      printf '%s' "$lsn" >"$PGDATA.refused"
      return 0
    fi
  fi
  [ -n "$lsn" ] || ! promotion_fenced || return 0
  log "promoting (replayed past $lsn)"
  pg_ctl promote -D "$PGDATA" -w -t 60 && setup_primary
}

# Labelled replica while a primary: stop cleanly (the WAL senders hand every
# standby all WAL up to the shutdown checkpoint), report where the WAL ends to
# pgop through the termination message, and exit; the container restarts as a standby.
demote() {
  log "labelled replica while primary: stopping to rejoin as a standby"
  touch "$PGOP_RUN_DIR/demoting"
  pg_ctl stop -D "$PGDATA" -m fast -w -t 300 || return 1
  control=$(LC_ALL=C pg_controldata -D "$PGDATA")
  lsn=$(printf '%s\n' "$control" | sed -n 's/^Latest checkpoint location: *//p')
  tli=$(printf '%s\n' "$control" | sed -n "s/^Latest checkpoint's TimeLineID: *//p")
  id=$(meta annotations ${DEMOTE_ID_ANNOTATION})
  case $id in *[!A-Za-z0-9._-]*) id= ;; esac
  message="${DEMOTED_MESSAGE_PREFIX} id=$id lsn=$lsn timeline=$tli"
  printf '%s' "$message" >"$PGOP_TERMINATION_LOG"
  log "$message"
  exit 0
}

# A standby that does not stream while the primary answers: every 10 s its
# slot is made again (a new primary has none); after PGOP_RECLONE_AFTER
# seconds, if the replication role can still log in there, it gives up on its
# data (the WAL it needs is gone, or its timeline forked), stops, and is cloned
# afresh at the next start. A standby holds no committed write the primary
# lacks (a forked timeline's extra writes were lost at the fail-over), so
# nothing more is lost.
standby_upkeep() {
  streaming=$(sql -c "select count(*) from pg_stat_wal_receiver where status = 'streaming'")
  if [ "$streaming" = 1 ] || ! primary_reachable; then
    idle=0 stuck_since=
    return 0
  fi
  idle=$((idle + 1))
  [ $((idle % 10)) -ne 5 ] || ensure_own_slot 2>/dev/null || true
  now=$(date +%s)
  [ -n "$stuck_since" ] || stuck_since=$now
  if [ $((now - stuck_since)) -ge "$PGOP_RECLONE_AFTER" ]; then
    # Only when the replication role can log in: bad credentials are no reason to drop data.
    if ! ensure_own_slot; then
      log "not streaming, and the primary refuses the replication role; keeping the data"
      stuck_since=
      return 0
    fi
    log "not streaming for $((now - stuck_since)) s while the primary answers; cloning again"
    touch "$PGDATA.reclone"
    pg_ctl stop -D "$PGDATA" -m fast -w -t 300
    exit 0
  fi
}

reconcile() {
  want=$(role)
  if [ "$want" != primary ]; then
    promote_since= told=
    [ ! -e "$PGDATA.refused" ] || rm -f "$PGDATA.refused"
  fi
  recovery=$(sql -c 'select pg_is_in_recovery()' 2>/dev/null) || return 0
  case $want/$recovery in
    primary/t) promote ;;
    primary/f) fence_check && primary_upkeep ;;
    replica/f) demote ;;
    replica/t) standby_upkeep ;;
  esac
}

# Runs beside PostgreSQL (a subshell), waiting for it to accept connections and then reconciling.
monitor() {
  until pg_isready -q; do pause 1; done
  log "accepting connections"
  [ "$(sql -c 'select pg_is_in_recovery()')" != f ] || setup_primary
  promote_since= told= idle=0 stuck_since= fence_checked=$(date +%s)
  while :; do
    reconcile
    pause "$PGOP_INTERVAL"
  done
}

on_signal() {
  stopping=1
  [ -z "$mon_pid" ] || kill "$mon_pid" 2>/dev/null
  if [ -n "$pg_pid" ]; then kill -INT "$pg_pid" 2>/dev/null; else exit 143; fi
}

run() {
  defaults
  pg_pid= mon_pid= stopping= rewind_failures=0
  trap on_signal INT TERM
  write_passfile || exit 1
  touch "$PGOP_RUN_DIR/preparing"
  rm -f "$PGOP_RUN_DIR/demoting"
  wait_for_role || exit 1
  prepare || exit 1
  [ -z "$stopping" ] || exit 143
  rm -f "$PGOP_RUN_DIR/preparing"
  start_postgres
  monitor &
  mon_pid=$!
  # A trapped signal interrupts wait; PostgreSQL is waited for until it is gone.
  while :; do
    wait "$pg_pid"
    status=$?
    kill -0 "$pg_pid" 2>/dev/null || break
  done
  if [ -f "$PGOP_RUN_DIR/demoting" ]; then
    wait "$mon_pid"
    exit 0
  fi
  kill "$mon_pid" 2>/dev/null
  log "postgres exited with status $status"
  exit "$status"
}

case $1 in
  run) run ;;
  ready) defaults && ready ;;
  alive) defaults && alive ;;
  *) log "usage: run | ready | alive" && exit 2 ;;
esac
`;

/** The instance script as written, with comments (for reading and tests). */
export const INSTANCE_SCRIPT: string = [
  "# pgop instance script: see docs/replication.md.",
  COMMON_FUNCTIONS,
  READY,
  ALIVE,
  primaryFunctions(SYNCHRONOUS_ANNOTATION, REPLICAS_ANNOTATION),
  STANDBY_FUNCTIONS,
  FENCE_FUNCTIONS,
  MAIN,
].join("\n");

/**
 * `script` without comment lines, blank lines and indentation: what goes into
 * the pod template. Lines inside multi-line quoted strings must not depend on
 * their indentation (none in {@link INSTANCE_SCRIPT} do).
 */
export function compactScript(script: string = INSTANCE_SCRIPT): string {
  return script.split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .join("\n") + "\n";
}
