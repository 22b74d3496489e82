/**
 * The system under test as the load test sees it — pgop in this process,
 * pgop as a child process, the floor writer, or nothing (pgop run by the
 * user) — and how pgop's own metrics become the report's figures.
 *
 * @module
 */
import { type Clock, realClock, type Timer } from "../../lib/clock.ts";
import {
  histogramQuantile,
  type Sample,
  sumBy,
  sumSamples,
} from "../../tests/support/prometheus_text.ts";
import type { RequestCounts } from "./request_counts.ts";

/** One point of the time series. */
export interface SutSample {
  /** Keys waiting in the work queue. */
  readonly queueDepth?: number;
  /** API requests made so far (cumulative). */
  readonly requests: number;
  readonly rssBytes?: number;
}

/** Cumulative figures of the system under test at one moment. */
export interface SutStats {
  /** Reconciles (floor: work items) by result. */
  readonly reconciles: Readonly<Record<string, number>>;
  /** Reconcile duration percentiles in seconds, from the histogram (all results). */
  readonly reconcileSeconds?: {
    readonly p50?: number;
    readonly p90?: number;
    readonly p99?: number;
  };
  /** CPU seconds used by the process so far. */
  readonly cpuSeconds?: number;
  readonly rssBytes?: number;
  /** Highest RSS of the process so far (Linux `VmHWM`). */
  readonly peakRssBytes?: number;
  readonly heapUsedBytes?: number;
  /** Objects in pgop's caches by resource. */
  readonly cacheObjects?: Readonly<Record<string, number>>;
  readonly relists?: number;
  readonly watchRestarts?: number;
}

/** How a stop went. */
export interface Shutdown {
  /** From the stop request to the end (or to giving up). */
  readonly seconds: number;
  /**
   * Not stopped within {@link SHUTDOWN_GRACE_MS}: a child was killed with
   * SIGKILL, an in-process system was abandoned (its work left running).
   */
  readonly stuck: boolean;
}

/** pgop's own drain is 10 s (`--shutdown-timeout`); 5 s more for its caches and server. */
export const SHUTDOWN_GRACE_MS = 15_000;

/**
 * Runs `stop` and reports how it went; gives up waiting (stuck) after
 * `graceMs` (default {@link SHUTDOWN_GRACE_MS}), calling `onStuck` (a child's SIGKILL).
 */
export async function timedStop(
  stop: () => Promise<void>,
  onStuck: () => void = () => {},
  options: { graceMs?: number; clock?: Clock } = {},
): Promise<Shutdown> {
  const clock = options.clock ?? realClock;
  const started = clock.now();
  let timer: Timer | undefined;
  const gaveUp = new Promise<"stuck">((resolve) => {
    timer = clock.setTimer(() => resolve("stuck"), options.graceMs ?? SHUTDOWN_GRACE_MS);
  });
  try {
    const outcome = await Promise.race([stop().then(() => "stopped" as const), gaveUp]);
    if (outcome === "stuck") onStuck();
    return { seconds: (clock.now() - started) / 1000, stuck: outcome === "stuck" };
  } finally {
    timer?.cancel();
  }
}

/** What the runner needs from whatever does the work. */
export interface SystemUnderTest {
  /** pgop measured by the tool, the floor, or pgop run by the user (not measured). */
  readonly kind: "pgop" | "floor" | "external";
  /** E.g. "pgop (child process)". */
  readonly label: string;
  /** Whether CPU and memory figures are the system's alone, and how they were read. */
  readonly resourceNote: string;
  /** Resolves when its caches or watches have synced. */
  waitSynced(timeoutMs: number): Promise<void>;
  /** Requests made so far by "verb resource". */
  requests(): Promise<RequestCounts>;
  sample(): Promise<SutSample>;
  stats(): Promise<SutStats>;
  /** Stops it (giving up after {@link SHUTDOWN_GRACE_MS}); idempotent. */
  stop(): Promise<void>;
  /** How the stop went, once stopped (undefined: nothing to stop). */
  shutdown(): Shutdown | undefined;
}

/** The pgop metrics the load test reads; everything else in a scrape is skipped. */
export const PGOP_METRICS: ReadonlySet<string> = new Set([
  "database_reconcile_total",
  "database_reconcile_duration_seconds_bucket",
  "database_reconcile_queue_depth",
  "rest_client_requests_total",
  "process_cpu_seconds_total",
  "process_resident_memory_bytes",
  "pgop_heap_used_bytes",
  "pgop_cache_objects",
  "pgop_cache_relists_total",
  "pgop_cache_watch_restarts_total",
]);

/** Keep-filter for `parsePromText`. */
export const keepPgopMetric = (name: string): boolean => PGOP_METRICS.has(name);

function present(samples: readonly Sample[], name: string): number | undefined {
  return samples.some((s) => s.name === name) ? sumSamples(samples, name) : undefined;
}

/** A time-series point from a pgop scrape. */
export function sampleFromPgopMetrics(samples: readonly Sample[]): SutSample {
  return {
    queueDepth: present(samples, "database_reconcile_queue_depth"),
    requests: sumSamples(samples, "rest_client_requests_total"),
    rssBytes: present(samples, "process_resident_memory_bytes"),
  };
}

/** Reconcile counts, durations, CPU, memory and cache figures from a pgop scrape. */
export function statsFromPgopMetrics(samples: readonly Sample[]): SutStats {
  const q = (p: number) => histogramQuantile(samples, "database_reconcile_duration_seconds", p);
  return {
    reconciles: sumBy(samples, "database_reconcile_total", "result"),
    reconcileSeconds: { p50: q(0.5), p90: q(0.9), p99: q(0.99) },
    cpuSeconds: present(samples, "process_cpu_seconds_total"),
    rssBytes: present(samples, "process_resident_memory_bytes"),
    heapUsedBytes: present(samples, "pgop_heap_used_bytes"),
    cacheObjects: sumBy(samples, "pgop_cache_objects", "resource"),
    relists: present(samples, "pgop_cache_relists_total"),
    watchRestarts: present(samples, "pgop_cache_watch_restarts_total"),
  };
}

/** pgop run by the user (`--pgop none`): nothing is known about it. */
export function externalSystem(): SystemUnderTest {
  return {
    kind: "external",
    label: "pgop (external, not measured)",
    resourceNote: "pgop runs outside the load tool: no requests, CPU or memory figures",
    waitSynced: () => Promise.resolve(),
    requests: () => Promise.resolve({}),
    sample: () => Promise.resolve({ requests: 0 }),
    stats: () => Promise.resolve({ reconciles: {} }),
    stop: () => Promise.resolve(),
    shutdown: () => undefined,
  };
}
