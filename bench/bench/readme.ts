/**
 * The benchmark's tables for bench/README.md, rendered from the results
 * (pure); bench.ts puts them between `<!-- bench:start -->` and
 * `<!-- bench:end -->` with the shared `lib/readme.ts`.
 *
 * @module
 */
import type { LoadtestReport } from "../loadtest/report.ts";
import { describeMachine, type MachineInfo } from "../loadtest/machine.ts";
import { mb, num } from "../loadtest/summary.ts";
import type { ColdStart } from "./cold_start.ts";
import { benchTargets, readyRatio } from "./targets.ts";

/** One size's results. */
export interface SizeResult {
  readonly n: number;
  readonly pgop?: LoadtestReport;
  readonly floor?: LoadtestReport;
  /** pgop started against the cluster holding the N Databases and children. */
  readonly coldStart?: ColdStart;
  /** RSS of pgop synced against an empty cluster, for memory per cached object. */
  readonly emptyRssBytes?: number;
  readonly emptyHeapBytes?: number;
}

/** Everything the README shows. */
export interface BenchResults {
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly sizes: readonly SizeResult[];
  /** Where the full reports are (Markdown). */
  readonly resultsDir: string;
}

function ms(seconds: number | undefined): string {
  return seconds === undefined ? "–" : (seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1);
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

/** The generated Markdown (without markers). */
export function renderBench(results: BenchResults): string {
  const pr = (
    r: LoadtestReport | undefined,
    pick: (r: LoadtestReport) => string,
  ) => (r ? pick(r) : "–");
  const speed = table(
    [
      "N",
      "all Ready: pgop",
      "floor",
      "**pgop/floor**",
      "Databases/s: pgop",
      "floor",
      "time to Ready p50 / p99: pgop",
      "floor",
      "writes/DB: pgop",
      "floor",
    ],
    results.sizes.map((s) => [
      String(s.n),
      pr(s.pgop, (r) => `${num(r.timing.allReadySeconds, 1)} s`),
      pr(s.floor, (r) => `${num(r.timing.allReadySeconds, 1)} s`),
      readyRatio(s) === undefined ? "–" : `**${num(readyRatio(s), 2)}×**`,
      pr(s.pgop, (r) => num(r.timing.throughput, 1)),
      pr(s.floor, (r) => num(r.timing.throughput, 1)),
      pr(
        s.pgop,
        (r) => `${num(r.timing.timeToReady?.p50, 1)} / ${num(r.timing.timeToReady?.p99, 1)} s`,
      ),
      pr(
        s.floor,
        (r) => `${num(r.timing.timeToReady?.p50, 1)} / ${num(r.timing.timeToReady?.p99, 1)} s`,
      ),
      pr(s.pgop, (r) => num(r.requests.run.writesPerDatabase, 2)),
      pr(s.floor, (r) => num(r.requests.run.writesPerDatabase, 2)),
    ]),
  );
  const work = table(
    [
      "N",
      "reconciles/DB",
      "reconcile p50 / p99",
      "peak queue",
      "errors",
      "CPU (run)",
      "CPU ms/DB",
      "peak RSS",
      "steady window: writes / reads / watch re-opens",
    ],
    results.sizes.flatMap((s) => {
      const r = s.pgop;
      if (!r) return [];
      const w = r.work;
      const st = r.requests.steady.totals;
      return [[
        String(s.n),
        num(w.reconcilesPerDatabase, 2),
        `${ms(w.reconcileSeconds?.p50)} / ${ms(w.reconcileSeconds?.p99)} ms`,
        String(w.peakQueueDepth ?? "–"),
        String(w.errors),
        `${num(w.cpuSecondsRun, 1)} s`,
        num(w.cpuSecondsRun === undefined ? undefined : w.cpuSecondsRun * 1000 / s.n, 1),
        mb(w.peakRssBytes),
        `${st.writes} / ${st.reads} / ${st.watches} in ${num(r.requests.steady.seconds, 0)} s`,
      ]];
    }),
  );
  const cold = table(
    [
      "N",
      "objects cached",
      "process start → synced",
      "cache sync (pgop's log)",
      "no-op reconcile p50 / p99",
      "writes",
      "RSS",
      "heap used",
      "per cached object: RSS / heap",
    ],
    results.sizes.flatMap((s) => {
      const c = s.coldStart;
      if (!c) return [];
      const per = (now: number | undefined, empty: number | undefined) =>
        now === undefined || empty === undefined || c.cachedObjects === 0
          ? "–"
          : `${((now - empty) / c.cachedObjects / 1024).toFixed(1)} KiB`;
      return [[
        String(s.n),
        String(c.cachedObjects),
        `${num(c.processToSyncedSeconds, 2)} s`,
        c.cacheSyncSeconds === undefined ? "–" : `${num(c.cacheSyncSeconds, 2)} s`,
        `${ms(c.noopReconcileSeconds?.p50)} / ${ms(c.noopReconcileSeconds?.p99)} ms`,
        String(c.writes),
        mb(c.rssBytes),
        mb(c.heapUsedBytes),
        `${per(c.rssBytes, s.emptyRssBytes)} / ${per(c.heapUsedBytes, s.emptyHeapBytes)}`,
      ]];
    }),
  );
  const targets = benchTargets(results).map((t) =>
    t.met === undefined
      ? `- ${t.name}: not measured`
      : `- ${t.name}: ${t.value} — ${t.met ? "met" : "**missed**"}`
  );
  const busiest = Math.max(
    results.machine.loadavg[0] ?? 0,
    ...results.sizes.flatMap((s) =>
      [s.pgop, s.floor].flatMap((r) => (r ? [r.machine.loadavg[0] ?? 0] : []))
    ),
  );
  const caution = busiest > results.machine.nproc
    ? [
      "",
      `**Caution:** some runs started with a 1-minute load average of ${busiest} on ` +
      `${results.machine.nproc} CPUs (other work on the machine); their times and ratios are ` +
      "noisy. The per-run load is in each report.json (`machine.loadavg`).",
    ]
    : [];
  return [
    `Measured ${results.startedAt} on ${
      describeMachine(results.machine)
    }. Full reports: ${results.resultsDir}.`,
    ...caution,
    "",
    "### pgop against the floor (fresh control plane per run)",
    "",
    speed,
    "",
    "### pgop's work and resources (child process)",
    "",
    work,
    "",
    "### Cold start with N Databases and their children present",
    "",
    cold,
    "",
    "### Targets",
    "",
    ...targets,
  ].join("\n");
}
