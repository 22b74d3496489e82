/**
 * A load-test run's figures, computed from what was measured (pure), and
 * the targets of the issue checked against them. Written as `report.json`.
 *
 * @module
 */
import type { HotFunction } from "./cpu_profile.ts";
import type { NotReady } from "./diagnose.ts";
import type { WaitOutcome } from "./wait_ready.ts";
import type { MachineInfo } from "./machine.ts";
import type { LoadtestOptions } from "./options.ts";
import type { ApiserverWrites, WriteComparison } from "./apiserver.ts";
import type { ControlPlaneSample } from "./control_plane_cost.ts";
import { compareWrites } from "./apiserver.ts";
import { diffCounts, type RequestCounts, type RequestTotals, totals } from "./request_counts.ts";
import type { SeriesPoint } from "./sampler.ts";
import { ratio, summarize, type Summary } from "./stats.ts";
import type { Shutdown, SutStats, SystemUnderTest } from "./sut.ts";
import { runTargets, type TargetCheck } from "./targets.ts";

/** What a run measured, before any arithmetic. Times in ms since creation started. */
export interface RawRun {
  readonly options: LoadtestOptions;
  readonly runId: string;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly system: Pick<SystemUnderTest, "kind" | "label" | "resourceNote">;
  /** From start of the system under test to synced, ms. */
  readonly syncMs: number;
  readonly creationMs: number;
  /** Undefined when not every Database became Ready in time. */
  readonly allReadyMs?: number;
  readonly databases: ReadonlyArray<{
    readonly createdMs?: number;
    /** When the last of its seven children appeared. */
    readonly childrenMs?: number;
    readonly firstStatusMs?: number;
    readonly readyMs?: number;
  }>;
  /** Cumulative request counts of the system under test at: creation start, all Ready, end of the steady window. */
  readonly requests: {
    readonly start: RequestCounts;
    readonly run: RequestCounts;
    readonly steady: RequestCounts;
  };
  /** The load tool's own requests during the run. */
  readonly toolRequests: RequestCounts;
  /** The API server's write counts during the run, or why they are missing. */
  readonly apiserver: { readonly writes: ApiserverWrites } | { readonly error: string };
  /** What kube-apiserver and etcd spent from creation start to all Ready (local control plane only). */
  readonly controlPlane?: ControlPlaneSample;
  /** Watches the API server held open: before the system started, at all Ready, and the load tool's. */
  readonly watches?: {
    readonly baseline: Readonly<Record<string, number>>;
    readonly run: Readonly<Record<string, number>>;
    readonly tool: number;
  };
  /** Cumulative stats at the same three moments. */
  readonly stats: { readonly start: SutStats; readonly run: SutStats; readonly steady: SutStats };
  /** Length of the steady window actually waited, s (0 when skipped). */
  readonly steadySeconds: number;
  readonly series: readonly SeriesPoint[];
  readonly cleanupSeconds?: number;
  readonly hotFunctions?: readonly HotFunction[];
  /** How the wait for Ready ended. */
  readonly outcome: WaitOutcome;
  /** Databases that were not Ready at the end, read back (at most 20). */
  readonly notReady?: readonly NotReady[];
  /** How the system under test stopped. */
  readonly shutdown?: Shutdown;
  /** False when the tracker's watch did not end within 5 s of its abort. */
  readonly trackerStopped?: boolean;
  /** Anything a caller measured around the run (the benchmark's cold start). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Request figures of one window. */
export interface RequestWindow {
  readonly byVerbResource: RequestCounts;
  readonly totals: RequestTotals;
}

/** `report.json`. Seconds unless named otherwise. */
export interface LoadtestReport {
  readonly version: 1;
  readonly runId: string;
  readonly startedAt: string;
  readonly mode: LoadtestOptions["mode"];
  readonly kind: SystemUnderTest["kind"];
  readonly system: string;
  readonly resourceNote: string;
  readonly machine: MachineInfo;
  readonly options: LoadtestOptions;
  readonly n: number;
  readonly complete: boolean;
  readonly outcome: WaitOutcome;
  readonly notReady?: readonly NotReady[];
  readonly shutdown?: Shutdown;
  readonly trackerStopped?: boolean;
  readonly timing: {
    readonly syncSeconds: number;
    readonly creationSeconds: number;
    readonly allReadySeconds?: number;
    /** Databases Ready per second of wall time. */
    readonly throughput?: number;
    readonly timeToReady?: Summary;
    readonly timeToFirstStatus?: Summary;
    /** From a Database's creation to the last of its seven children existing. */
    readonly timeToChildren?: Summary;
  };
  /** The control plane's own cost of the run (local control plane only). */
  readonly controlPlane?: ControlPlaneSample & {
    readonly etcdWalBytesPerDatabase?: number;
    /** Watches held open by the system under test (API server's count less baseline and load tool). */
    readonly watchesHeld?: number;
  };
  readonly requests: {
    readonly run: RequestWindow & {
      readonly writesPerDatabase: number;
      readonly readsPerDatabase: number;
    };
    readonly steady: RequestWindow & { readonly seconds: number; readonly reconciles: number };
    readonly tool: RequestWindow;
  };
  readonly apiserver: { readonly comparison: readonly WriteComparison[] } | {
    readonly error: string;
  };
  readonly work: {
    readonly reconciles: number;
    readonly reconcilesPerDatabase: number;
    readonly byResult: Readonly<Record<string, number>>;
    readonly errors: number;
    readonly reconcileSeconds?: SutStats["reconcileSeconds"];
    readonly peakQueueDepth?: number;
    readonly cpuSecondsRun?: number;
    readonly cpuSecondsSteady?: number;
    /** At creation start: synced, nothing of the run cached yet. */
    readonly rssBytesStart?: number;
    readonly heapUsedBytesStart?: number;
    readonly rssBytesEnd?: number;
    readonly peakRssBytes?: number;
    readonly heapUsedBytesEnd?: number;
    readonly cacheObjects?: Readonly<Record<string, number>>;
    readonly relists?: number;
    readonly watchRestarts?: number;
  };
  readonly targets: readonly TargetCheck[];
  readonly series: readonly SeriesPoint[];
  readonly cleanupSeconds?: number;
  readonly hotFunctions?: readonly HotFunction[];
  readonly extra?: Readonly<Record<string, unknown>>;
}

function sumValues(record: Readonly<Record<string, number>>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

function diffRecord(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(a)) out[k] = v - (b[k] ?? 0);
  return out;
}

function minus(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

function window(counts: RequestCounts): RequestWindow {
  return { byVerbResource: counts, totals: totals(counts) };
}

/** The report of a run. Pure. */
export function buildReport(raw: RawRun): LoadtestReport {
  const n = raw.options.count;
  const toSeconds = (ms: number) => ms / 1000;
  const spans = (to: "childrenMs" | "firstStatusMs" | "readyMs") =>
    raw.databases.flatMap((d) =>
      d.createdMs !== undefined && d[to] !== undefined
        ? [toSeconds((d[to] as number) - d.createdMs)]
        : []
    );
  const allReadySeconds = raw.allReadyMs === undefined ? undefined : toSeconds(raw.allReadyMs);
  const run = diffCounts(raw.requests.run, raw.requests.start);
  const steady = diffCounts(raw.requests.steady, raw.requests.run);
  const runTotals = totals(run);
  const byResult = diffRecord(raw.stats.run.reconciles, raw.stats.start.reconciles);
  const reconciles = sumValues(byResult);
  const steadyReconciles = sumValues(raw.stats.steady.reconciles) -
    sumValues(raw.stats.run.reconciles);
  const depths = raw.series.flatMap((p) => (p.queueDepth === undefined ? [] : [p.queueDepth]));
  const rss = raw.series.flatMap((p) => (p.rssBytes === undefined ? [] : [p.rssBytes]));
  const sampledPeak = rss.length ? Math.max(...rss) : undefined;
  const steadyTotals = totals(steady);
  const writesPerDatabase = runTotals.writes / n;
  const targets = runTargets(
    raw.system.kind !== "external",
    writesPerDatabase,
    steadyTotals,
    raw.steadySeconds,
  );

  return {
    version: 1,
    runId: raw.runId,
    startedAt: raw.startedAt,
    mode: raw.options.mode,
    kind: raw.system.kind,
    system: raw.system.label,
    resourceNote: raw.system.resourceNote,
    machine: raw.machine,
    options: raw.options,
    n,
    complete: raw.allReadyMs !== undefined,
    outcome: raw.outcome,
    notReady: raw.notReady,
    shutdown: raw.shutdown,
    trackerStopped: raw.trackerStopped,
    timing: {
      syncSeconds: toSeconds(raw.syncMs),
      creationSeconds: toSeconds(raw.creationMs),
      allReadySeconds,
      throughput: ratio(n, allReadySeconds),
      timeToReady: summarize(spans("readyMs")),
      timeToFirstStatus: summarize(spans("firstStatusMs")),
      timeToChildren: summarize(spans("childrenMs")),
    },
    controlPlane: raw.controlPlane && {
      ...raw.controlPlane,
      etcdWalBytesPerDatabase: ratio(raw.controlPlane.etcdWalBytes, n),
      watchesHeld: raw.watches && sumValues(raw.watches.run) - sumValues(raw.watches.baseline) -
          raw.watches.tool,
    },
    requests: {
      run: { ...window(run), writesPerDatabase, readsPerDatabase: runTotals.reads / n },
      steady: { ...window(steady), seconds: raw.steadySeconds, reconciles: steadyReconciles },
      tool: window(raw.toolRequests),
    },
    apiserver: "error" in raw.apiserver
      ? { error: raw.apiserver.error }
      : { comparison: compareWrites(run, raw.toolRequests, raw.apiserver.writes) },
    work: {
      reconciles,
      reconcilesPerDatabase: reconciles / n,
      byResult,
      errors: byResult.error ?? 0,
      reconcileSeconds: raw.stats.run.reconcileSeconds,
      peakQueueDepth: depths.length ? Math.max(...depths) : undefined,
      cpuSecondsRun: minus(raw.stats.run.cpuSeconds, raw.stats.start.cpuSeconds),
      cpuSecondsSteady: minus(raw.stats.steady.cpuSeconds, raw.stats.run.cpuSeconds),
      rssBytesStart: raw.stats.start.rssBytes,
      heapUsedBytesStart: raw.stats.start.heapUsedBytes,
      rssBytesEnd: raw.stats.steady.rssBytes,
      peakRssBytes: raw.stats.steady.peakRssBytes ?? sampledPeak,
      heapUsedBytesEnd: raw.stats.steady.heapUsedBytes,
      cacheObjects: raw.stats.steady.cacheObjects,
      relists: raw.stats.steady.relists,
      watchRestarts: raw.stats.steady.watchRestarts,
    },
    targets,
    series: raw.series,
    cleanupSeconds: raw.cleanupSeconds,
    hotFunctions: raw.hotFunctions,
    extra: raw.extra,
  };
}
