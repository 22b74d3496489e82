/**
 * The replication lag observer: a long-lived part (on the leader only) that
 * now and then asks each replicated Database's primary how far its standbys
 * are behind (`replication_probe.ts`) and keeps the answer in
 * {@link LagObservations}, which queues the Database when the lag moved.
 *
 * Bounded by construction: at most one connection per primary per interval
 * (each Database's first look is spread at random over the first interval),
 * at most {@link LAG_CONCURRENCY} in flight and {@link LAG_STARTS_PER_SECOND}
 * started per second across all Databases. N replicated Databases therefore
 * cost N / interval connections (and reads of their replication Secret) per
 * second, never more than {@link LAG_STARTS_PER_SECOND}. Only a primary pgop
 * made, labelled, Ready and with an address is asked; Databases with one
 * replica are not looked at.
 *
 * The replication role's password is read from the API server for each look
 * (pgop's Secret cache holds no data) and dropped with the connection.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Pod, Secret } from "kubernetes-types/core/v1.d.ts";
import { type Clock, realClock, sleepUnlessAborted } from "../clock.ts";
import { objectKey, type StoreReader } from "../cache/store.ts";
import { isNotFound } from "../kube/errors.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeClient } from "../kube/types.ts";
import { podReady, roleOf } from "./instances.ts";
import { type LagObservations, nextObservation } from "./lag_observations.ts";
import { replicationSecretName } from "./names.ts";
import {
  NotPrimaryError,
  probeReplication,
  type ProbeTarget,
  type StandbyState,
} from "./replication_probe.ts";
import { REPLICATION_USER } from "./roles.ts";
import { readPassword } from "./secret.ts";
import { type Database, DEFAULT_REPLICAS, LABEL_INSTANCE, POSTGRES_PORT } from "./types.ts";

const log = getLogger(["pgop", "replication"]);

/** Default time between two looks at one primary: a lag is a trend, not an alarm clock. */
export const DEFAULT_LAG_INTERVAL_MS = 30_000;
/** Looks in flight at once: each is mostly waiting on the network, a few overlap well. */
export const LAG_CONCURRENCY = 4;
/**
 * Looks started per second across all Databases. Each one also reads a Secret
 * through pgop's API rate limit (200/s by default): ten keep that to 5 %, and
 * with more than 300 replicated Databases the interval stretches instead.
 */
export const LAG_STARTS_PER_SECOND = 10;
/** Bound of one look (connect, authenticate, query). */
export const LAG_TIMEOUT_MS = 5_000;
/** The database the replication role logs in to (it may connect to any; this one always exists). */
export const LAG_DATABASE = "postgres";

/** Options of {@link LagObserver}. */
export interface LagObserverOptions {
  readonly databases: Pick<StoreReader<Database>, "list">;
  readonly pods: Pick<StoreReader<Pod>, "get">;
  readonly observations: LagObservations;
  /**
   * The replication role's password of `db`, read when a look starts;
   * undefined while there is none yet.
   */
  readonly password: (db: Database, signal: AbortSignal) => Promise<string | undefined>;
  /** Time between two looks at one primary (ms); must be > 0. */
  readonly intervalMs: number;
  /** How a look is made (default {@link probeReplication}). */
  readonly probe?: (target: ProbeTarget, signal: AbortSignal) => Promise<StandbyState[]>;
  readonly concurrency?: number;
  readonly startsPerSecond?: number;
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  /** In [0, 1): spreads the first looks over the first interval. */
  readonly random?: () => number;
  /** Told how each look ended (one without a Secret yet is none): for a metric. */
  readonly onLook?: (result: "ok" | "not_primary" | "error") => void;
}

/** A Database due for a look, and where its primary is. */
interface Due {
  readonly key: string;
  readonly at: number;
  readonly db: Database;
}

/** Asks primaries for their standbys' lag, boundedly; see the module doc. */
export class LagObserver {
  readonly #o: LagObserverOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #concurrency: number;
  readonly #startsPerSweep: number;
  readonly #sweepMs: number;
  /** Database key → when its next look is due (monotonic ms). */
  readonly #due = new Map<string, number>();
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Databases whose last look failed: their next failure is logged at debug only. */
  readonly #failing = new Set<string>();

  /** Does no I/O. @throws {RangeError} for an interval, concurrency or rate that is not positive */
  constructor(options: LagObserverOptions) {
    if (!(options.intervalMs > 0)) {
      throw new RangeError(`intervalMs must be > 0, got ${options.intervalMs}`);
    }
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#concurrency = options.concurrency ?? LAG_CONCURRENCY;
    const perSecond = options.startsPerSecond ?? LAG_STARTS_PER_SECOND;
    if (!(this.#concurrency >= 1) || !(perSecond > 0)) {
      throw new RangeError("concurrency and startsPerSecond must be positive");
    }
    // Look for due Databases every second, or every interval when shorter.
    this.#sweepMs = Math.min(1_000, options.intervalMs);
    this.#startsPerSweep = Math.max(1, Math.floor((perSecond * this.#sweepMs) / 1_000));
  }

  /** Looks in flight now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Sweeps until `signal` aborts, then waits for the looks in flight (they abort with it). */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.sweep(signal);
      if (!(await sleepUnlessAborted(this.#clock, this.#sweepMs, signal))) break;
    }
    await Promise.allSettled(this.#inFlight.values());
  }

  /**
   * One pass: forgets Databases that are gone or no longer replicated, then
   * starts the looks that are due, most overdue first, within the bounds.
   */
  sweep(signal: AbortSignal): void {
    const now = this.#clock.now();
    const due: Due[] = [];
    const seen = new Set<string>();
    for (const db of this.#o.databases.list()) {
      if (!replicated(db)) continue;
      const key = objectKey(db);
      seen.add(key);
      let at = this.#due.get(key);
      if (at === undefined) {
        at = now + this.#random() * this.#o.intervalMs;
        this.#due.set(key, at);
      }
      if (at <= now && !this.#inFlight.has(key)) due.push({ key, at, db });
    }
    for (const key of this.#due.keys()) if (!seen.has(key)) this.#forget(key);
    for (const key of this.#o.observations.store.keys()) if (!seen.has(key)) this.#forget(key);
    due.sort((a, b) => a.at - b.at);
    let started = 0;
    for (const { key, db } of due) {
      if (this.#inFlight.size >= this.#concurrency || started >= this.#startsPerSweep) break;
      const primary = primaryOf(db, this.#o.pods);
      // Not ready to be asked: looked at again at the next sweep, at no cost.
      if (primary === undefined) continue;
      started++;
      this.#due.set(key, now + this.#o.intervalMs);
      const look = this.#look(key, db, primary, signal)
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, look);
    }
  }

  #forget(key: string): void {
    this.#due.delete(key);
    this.#failing.delete(key);
    this.#o.observations.delete(key);
  }

  async #look(
    key: string,
    db: Database,
    primary: { name: string; ip: string },
    signal: AbortSignal,
  ): Promise<void> {
    const meta = { name: db.metadata?.name ?? "", namespace: db.metadata?.namespace ?? "" };
    try {
      const password = await this.#o.password(db, signal);
      if (password === undefined) return;
      const standbys = await (this.#o.probe ?? probeReplication)({
        host: primary.ip,
        port: POSTGRES_PORT,
        user: REPLICATION_USER,
        password,
        database: LAG_DATABASE,
        timeoutMs: this.#o.timeoutMs ?? LAG_TIMEOUT_MS,
      }, signal);
      this.#o.onLook?.("ok");
      // Gone or no longer replicated while the look ran: nothing to keep.
      if (!this.#due.has(key)) return;
      const previous = this.#o.observations.store.get(key);
      this.#o.observations.set(nextObservation(previous, meta, primary.name, standbys));
      if (this.#failing.delete(key)) {
        log.info("Replication of {database} is observable again", { database: key });
      }
    } catch (error) {
      if (signal.aborted) return;
      const fields = { database: key, primary: primary.name, error: String(error) };
      if (error instanceof NotPrimaryError) {
        // Labelled primary but not promoted yet (a switchover under way): no news.
        this.#o.onLook?.("not_primary");
        log.debug("Replication of {database}: {primary} is not a primary yet", fields);
        return;
      }
      this.#o.onLook?.("error");
      // Once per spell of failures at warning: a primary that stays down is not news every 30 s.
      if (this.#failing.has(key)) log.debug("Replication of {database}: {error}", fields);
      else log.warning("Cannot observe the replication of {database}: {error}", fields);
      this.#failing.add(key);
    }
  }
}

/** Whether `db` has standbys to observe: more than one replica, not being deleted. */
function replicated(db: Database): boolean {
  return (db.spec?.replicas ?? DEFAULT_REPLICAS) > 1 && !db.metadata?.deletionTimestamp;
}

/** The primary pgop made (`status.primary`) when it is labelled so, Ready and has an address. */
function primaryOf(
  db: Database,
  pods: Pick<StoreReader<Pod>, "get">,
): { name: string; ip: string } | undefined {
  const name = db.status?.primary;
  if (name === undefined) return undefined;
  const pod = pods.get(`${db.metadata?.namespace}/${name}`);
  const ip = pod?.status?.podIP;
  if (pod === undefined || !ip || pod.metadata?.labels?.[LABEL_INSTANCE] !== db.metadata?.name) {
    return undefined;
  }
  return roleOf(pod) === "primary" && podReady(pod) ? { name, ip } : undefined;
}

/**
 * {@link LagObserverOptions.password} from the API server: the `password` of
 * the Database's `NAME-replication` Secret, read afresh for each look;
 * undefined while the Secret does not exist.
 * @throws {InvalidSecretError} from the look when the Secret has no usable password
 */
export function passwordFromSecret(
  client: Pick<KubeClient, "get">,
): (db: Database, signal: AbortSignal) => Promise<string | undefined> {
  return async (db, signal) => {
    try {
      const secret = await client.get<Secret>(Resources.secrets, replicationSecretName(db), {
        namespace: db.metadata?.namespace,
        signal,
      });
      return readPassword(secret);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
}
