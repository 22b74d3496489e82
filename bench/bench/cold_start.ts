/**
 * pgop's cold start against a cluster that already holds N Databases and
 * their children: time from process start to synced caches, the no-op
 * reconcile of every Database that follows (the start-up is a resync with
 * everything in place), and memory with everything cached.
 *
 * @module
 */
import { type ChildPgop, startChildPgop } from "../loadtest/sut_child.ts";
import { totals } from "../loadtest/request_counts.ts";
import type { SutStats } from "../loadtest/sut.ts";
import type { LocalCluster } from "../../tests/support/cluster.ts";

/** What a cold start measured. Seconds and bytes. */
export interface ColdStart {
  /** Databases present. */
  readonly databases: number;
  /** Objects in pgop's caches once synced (Databases and children). */
  readonly cachedObjects: number;
  /** From spawning the process to `/readyz` answering 200 (caches synced), runtime start included. */
  readonly processToSyncedSeconds: number;
  /** pgop's own "Caches synced in N ms" (list and watch of the four caches only). */
  readonly cacheSyncSeconds?: number;
  /** From synced to N start-up reconciles done. */
  readonly resyncSeconds?: number;
  /** No-op reconcile duration percentiles (histogram of this process: every reconcile was a no-op). */
  readonly noopReconcileSeconds?: SutStats["reconcileSeconds"];
  readonly reconciles: number;
  /** Writes made during the cold start: 0 when the no-op reconciles really were no-ops. */
  readonly writes: number;
  readonly reads: number;
  readonly rssBytes?: number;
  readonly peakRssBytes?: number;
  readonly heapUsedBytes?: number;
}

/** Options of {@link measureColdStart}. */
export interface ColdStartOptions {
  readonly kubeconfig: string;
  /** Databases present (the start-up reconciles to wait for). */
  readonly databases: number;
  /** Where the child's log goes. */
  readonly dir: string;
  /** The log's file name in `dir` (default `pgop-cold.log`). */
  readonly logName?: string;
  readonly args?: readonly string[];
  /**
   * Settling time after the reconciles, before memory is read (default
   * {@link SETTLE_MS}): V8 keeps the garbage of the start-up until its memory
   * reducer runs, some 20–30 s after the allocation rate drops.
   */
  readonly settleMs?: number;
  /** Stops the measurement (and pgop) early: the caller was interrupted. */
  readonly signal?: AbortSignal;
}

function sum(record: Readonly<Record<string, number>> | undefined): number {
  return Object.values(record ?? {}).reduce((a, b) => a + b, 0);
}

/** The components that act on the Databases' children, not on pgop's reads. */
const CONTROLLERS = ["kube-controller-manager", "kube-scheduler", "kwok"] as const;

/**
 * Pauses (SIGSTOP) the controller manager, the scheduler and kwok of a local
 * control plane; the returned function resumes them. After the floor made
 * 10,000 StatefulSets they keep both CPUs of a 2-core machine busy for many
 * minutes (the controller manager at 100–180%), and a cold start measured then
 * measures them. Paused, the machine runs what a cold start is about: pgop,
 * the API server and etcd.
 */
export function pauseControllers(cluster: LocalCluster): () => void {
  const paused = CONTROLLERS.map((name) => cluster.component(name)).filter((c) => c !== undefined);
  for (const component of paused) component.kill("SIGSTOP");
  return () => {
    for (const component of paused) component.kill("SIGCONT");
  };
}

/** Default settling time before memory is read: steady state, after V8's memory reducer. */
export const SETTLE_MS = 35_000;

/** Waits `ms`; rejects with the signal's reason as soon as it aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clearTimeout(id);
      reject(signal?.reason);
    };
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Starts pgop as a child against the populated cluster, measures, and stops it. */
export async function measureColdStart(options: ColdStartOptions): Promise<ColdStart> {
  const pgop: ChildPgop = await startChildPgop({
    kubeconfig: options.kubeconfig,
    args: options.args ?? [],
    dir: options.dir,
    logName: options.logName ?? "pgop-cold.log",
  });
  try {
    await pgop.waitSynced(300_000);
    const syncedAt = performance.now();
    const processToSyncedSeconds = (syncedAt - pgop.spawnedAt) / 1000;
    let stats = await pgop.stats();
    const deadline = performance.now() + 600_000;
    while (sum(stats.reconciles) < options.databases && performance.now() < deadline) {
      await pause(100, options.signal);
      stats = await pgop.stats();
    }
    const resyncSeconds = sum(stats.reconciles) >= options.databases
      ? (performance.now() - syncedAt) / 1000
      : undefined;
    await pause(options.settleMs ?? SETTLE_MS, options.signal);
    stats = await pgop.stats();
    const requests = totals(await pgop.requests());
    const syncedMs = pgop.cachesSyncedMs();
    return {
      databases: options.databases,
      cachedObjects: sum(stats.cacheObjects),
      processToSyncedSeconds,
      cacheSyncSeconds: syncedMs === undefined ? undefined : syncedMs / 1000,
      resyncSeconds,
      noopReconcileSeconds: stats.reconcileSeconds,
      reconciles: sum(stats.reconciles),
      writes: requests.writes,
      reads: requests.reads,
      rssBytes: stats.rssBytes,
      peakRssBytes: stats.peakRssBytes,
      heapUsedBytes: stats.heapUsedBytes,
    };
  } finally {
    await pgop.stop();
  }
}
