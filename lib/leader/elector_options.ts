/**
 * The options of the leader elector: defaults (client-go's), validation, and
 * the error that marks a lost leadership.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Clock, realClock } from "../clock.ts";
import type { KubeClient } from "../kube/types.ts";

/** How long a standby waits after the last observed change before taking over (client-go default). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
/** How long the leader keeps retrying a renewal before it steps down (client-go default). */
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
/** The interval between tries to acquire or renew (client-go default). */
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/**
 * client-go's `JitterFactor`: candidates wait `retryPeriod × (1 + random × 1.2)`
 * between tries so that they do not hit the API server in step; a renew
 * deadline must also exceed `1.2 × retryPeriod` so a round has room for a retry.
 */
export const JITTER_FACTOR = 1.2;

/** The logging the elector does; `@logtape/logtape`'s `Logger` fits. */
export interface LeaderLogger {
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
}

/** Where leadership is reported, for the gauge `leader_election_master_status{name}` (0/1). */
export interface LeaderMetrics {
  /** This process became leader of lease `name`: set 1. */
  leaderOn(name: string): void;
  /** This process is not (or no longer) leader of lease `name`: set 0. Also called when `run()` starts. */
  leaderOff(name: string): void;
}

/** What leads while leadership lasts: `signal` aborts when it ends. */
export type Lead = (signal: AbortSignal) => void | Promise<void>;

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  readonly client: KubeClient;
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Name of the Lease (also the metrics' `name`). */
  readonly name: string;
  /** This process's identity, unique among candidates; see `defaultIdentity()` in `identity.ts`. */
  readonly identity: string;
  /** Default 15 000; written to the Lease in whole seconds (rounded up). Must exceed `renewDeadlineMs`. */
  readonly leaseDurationMs?: number;
  /** Default 10 000. Must exceed `1.2 × retryPeriodMs`. */
  readonly renewDeadlineMs?: number;
  /** Default 2 000. */
  readonly retryPeriodMs?: number;
  /** Default the real clock. */
  readonly clock?: Clock;
  /** Release the lease when leadership ends, so a standby takes over at its next try. Default true. */
  readonly releaseOnCancel?: boolean;
  /**
   * Called once on becoming leader (unless `campaign()` was given its own).
   * `signal` aborts the moment leadership is lost or given up; all writes
   * must stop then. A returned promise should settle soon after that: the
   * lease is released, and `run()` resolves, only once it has (its rejection
   * is logged). Default: nothing.
   */
  readonly onStartedLeading?: Lead;
  /** Called once after each start of leading, right after its signal aborted. Default: nothing. */
  readonly onStoppedLeading?: () => void;
  /** Called when a new non-empty holder (this process included) is observed. */
  readonly onNewLeader?: (identity: string) => void;
  readonly metrics?: LeaderMetrics;
  /** Default `getLogger(["pgop", "leader"])`. */
  readonly logger?: LeaderLogger;
  /** Source of jitter in [0, 1); default `Math.random`. */
  readonly random?: () => number;
}

/** The abort reason of the leading signal when leadership was lost (not given up). */
export class LeadershipLostError extends Error {
  override readonly name = "LeadershipLostError";
}

/** The options with every default filled in. */
export type ResolvedOptions = Required<
  Omit<LeaderElectorOptions, "client" | "metrics" | "onNewLeader">
>;

/**
 * Fills in the defaults and checks the durations' order.
 * @throws {RangeError} for empty names or identity, or durations out of order (see the options)
 */
export function resolveOptions(options: LeaderElectorOptions): ResolvedOptions {
  const o = {
    ...options,
    leaseDurationMs: options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS,
    renewDeadlineMs: options.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS,
    retryPeriodMs: options.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS,
    clock: options.clock ?? realClock,
    releaseOnCancel: options.releaseOnCancel ?? true,
    logger: options.logger ?? getLogger(["pgop", "leader"]),
    random: options.random ?? Math.random,
    onStartedLeading: options.onStartedLeading ?? (() => {}),
    onStoppedLeading: options.onStoppedLeading ?? (() => {}),
  };
  for (const key of ["leaseDurationMs", "renewDeadlineMs", "retryPeriodMs"] as const) {
    if (!Number.isFinite(o[key]) || o[key] <= 0) {
      throw new RangeError(`${key} must be a positive number, got ${o[key]}`);
    }
  }
  if (o.leaseDurationMs <= o.renewDeadlineMs) {
    throw new RangeError(
      `leaseDurationMs (${o.leaseDurationMs}) must be greater than renewDeadlineMs (${o.renewDeadlineMs})`,
    );
  }
  if (o.renewDeadlineMs <= JITTER_FACTOR * o.retryPeriodMs) {
    throw new RangeError(
      `renewDeadlineMs (${o.renewDeadlineMs}) must be greater than ${JITTER_FACTOR} × retryPeriodMs (${o.retryPeriodMs})`,
    );
  }
  if (!o.identity) throw new RangeError("identity must not be empty");
  return o;
}
