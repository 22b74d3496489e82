/**
 * One look at a primary's replication, as PostgreSQL itself reports it: a
 * single connection, a single query of `pg_stat_replication`, closed at once.
 * The password is given per call and kept by nothing here.
 *
 * @module
 */
import postgres from "postgres";

/** A standby as the primary sees it (one row of `pg_stat_replication`). */
export interface StandbyState {
  /** `application_name`: the standby's pod name (the instance script sets it). */
  readonly name: string;
  /** `state` is `streaming` (not `startup`, `catchup`, `backup` or `stopping`). */
  readonly streaming: boolean;
  /**
   * Bytes of WAL the primary has written that the standby has not replayed:
   * `pg_current_wal_lsn() - replay_lsn`. Undefined when PostgreSQL hides it
   * (a role without `pg_read_all_stats`) or the standby has replayed nothing yet.
   */
  readonly lagBytes?: number;
}

/** Where and as whom to look; see {@link probeReplication}. */
export interface ProbeTarget {
  /** The primary's address (its pod IP). */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A database the role may connect to (`postgres`). */
  readonly database: string;
  /** Bound of the whole look: connection, authentication, query (ms). */
  readonly timeoutMs: number;
}

/** The look at a primary failed: unreachable, refused, timed out, or not a primary. */
export class ReplicationProbeError extends Error {
  override readonly name: string = "ReplicationProbeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The server asked is in recovery: a standby, or a pod labelled primary that
 * has not promoted yet (readiness lags a relabel by up to a probe period).
 */
export class NotPrimaryError extends ReplicationProbeError {
  override readonly name: string = "NotPrimaryError";
}

/** SQLSTATE of `pg_current_wal_lsn()` during recovery (object_not_in_prerequisite_state). */
const IN_RECOVERY = "55000";

/**
 * The query: one row per connected standby, or one row of nulls without any.
 * `pg_current_wal_lsn()` is read first and fails on a server in recovery, so
 * a standby taken for the primary is an error, not a report of no standbys.
 * The difference goes out as text: a bigint would come back as a string
 * anyway, and `::text` keeps the driver's parsing out.
 */
export const REPLICATION_QUERY = "with c as (select pg_current_wal_lsn() as lsn) " +
  "select r.application_name, r.state, (c.lsn - r.replay_lsn)::bigint::text as lag " +
  "from c left join pg_stat_replication r on true";

/**
 * Every option of the `postgres` package given explicitly: it falls back to
 * `PG*` environment variables for any option left out, and pgop's sandbox
 * (`--allow-env`) does not grant them. Two it reads regardless,
 * `PGAPPNAME` and `PGTARGETSESSIONATTRS`, are granted (their values are
 * overridden here or harmless when unset).
 */
function clientOptions(target: ProbeTarget) {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    pass: target.password,
    database: target.database,
    max: 1,
    ssl: false,
    sslnegotiation: null,
    idle_timeout: 0,
    connect_timeout: Math.max(1, Math.ceil(target.timeoutMs / 1000)),
    max_lifetime: null,
    max_pipeline: 1,
    backoff: 0,
    keep_alive: null,
    prepare: false,
    debug: false,
    fetch_types: false,
    publications: "",
    // Left unset: any other value makes the driver reconnect in a loop to a server that does not match.
    target_session_attrs: null,
    onnotice: () => {},
    connection: {
      application_name: "pgop",
      // The server gives up too, should the client's timer be lost with its connection.
      statement_timeout: target.timeoutMs,
    },
  } as const;
}

/**
 * Connects to the primary at `target`, reads `pg_stat_replication`, and
 * closes the connection, within `target.timeoutMs` or until `signal` aborts.
 * @throws {ReplicationProbeError} with the driver's error as cause
 */
export async function probeReplication(
  target: ProbeTarget,
  signal: AbortSignal,
): Promise<StandbyState[]> {
  signal.throwIfAborted();
  // deno-lint-ignore no-explicit-any
  const sql = postgres(clientOptions(target) as any);
  // Ending the client rejects whatever it is doing: connecting, authenticating or querying.
  const stop = () => void sql.end({ timeout: 0 });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, target.timeoutMs);
  signal.addEventListener("abort", stop, { once: true });
  try {
    const rows = await sql.unsafe(REPLICATION_QUERY).simple();
    return rows.filter((row) => row.application_name != null).map((row) => ({
      name: String(row.application_name ?? ""),
      streaming: row.state === "streaming",
      ...(row.lag == null ? {} : { lagBytes: Math.max(0, Number(row.lag)) }),
    }));
  } catch (error) {
    signal.throwIfAborted();
    const why = timedOut
      ? `timed out after ${target.timeoutMs} ms`
      : error instanceof Error
      ? error.message
      : String(error);
    const Kind = error instanceof postgres.PostgresError && error.code === IN_RECOVERY
      ? NotPrimaryError
      : ReplicationProbeError;
    throw new Kind(`Reading replication from ${target.host}:${target.port} failed: ${why}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
    await sql.end({ timeout: 0 });
  }
}
