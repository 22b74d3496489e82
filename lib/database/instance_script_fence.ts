/**
 * The fencing part of the instance script (`instance_script.ts`,
 * `docs/failover.md`): a pod never runs as a second primary. pgop's role
 * label is the first fence; these checks hold also when the label a pod reads
 * is stale (the kubelet rewrites the downward-API files some time after a
 * relabel, and a node that returns from an outage may start a container
 * before it has) or cannot be refreshed (a node cut off from the API server).
 *
 * @module
 */
import { FAILOVER_FROM_ANNOTATION } from "./roles.ts";

/**
 * `other_primary` (another server out of recovery answers at `NAME-rw`, which
 * selects only Ready primaries: this pod must not start or promote as one),
 * `may_init` (a fail-over's target never makes a new, empty database) and
 * `fence_check` (a running primary that finds another primary behind
 * `NAME-rw` stops).
 */
export const FENCE_FUNCTIONS: string = String.raw`
other_primary() {
  PGCONNECT_TIMEOUT=3 primary_promoted
}

# Labelled primary while a standby without a switchover's LSN (a fail-over, or
# a label read stale): not while another primary serves NAME-rw. A switchover
# needs no check: the old primary's final LSN proves it stopped.
promotion_fenced() {
  other_primary || return 1
  [ -n "$told" ] || log "another primary answers at $PGOP_PRIMARY_HOST; not promoting"
  told=1
}

may_init() {
  [ -z "$(meta annotations ${FAILOVER_FROM_ANNOTATION})" ]
}

# Every 5 s on a running primary: NAME-rw answering from a server out of
# recovery that is not this one (another postmaster start time) means pgop
# failed over while this pod was cut off. Stop at once; the restart waits
# (other_primary) until the label says replica, then rewinds and rejoins.
fence_check() {
  now=$(date +%s)
  [ $((now - fence_checked)) -ge 5 ] || return 0
  fence_checked=$now
  q='select extract(epoch from pg_postmaster_start_time()) where not pg_is_in_recovery()'
  theirs=$(PGCONNECT_TIMEOUT=2 primary_sql -c "$q" 2>/dev/null) || return 0
  [ -n "$theirs" ] || return 0
  mine=$(sql -c "$q") || return 0
  [ "$theirs" != "$mine" ] || return 0
  log "another primary answers at $PGOP_PRIMARY_HOST; stopping this one (it was failed over)"
  touch "$PGOP_RUN_DIR/demoting"
  pg_ctl stop -D "$PGDATA" -m fast -w -t 300
  printf '%s' "pgop fenced: another primary answers at $PGOP_PRIMARY_HOST" >"$PGOP_TERMINATION_LOG"
  exit 0
}
`;
