/**
 * The benchmark's tables for bench/README.md, rendered from the results
 * (pure); bench.ts puts them between `<!-- bench:start -->` and
 * `<!-- bench:end -->` with the shared `lib/readme.ts`. Every figure is the
 * median of the runs with their range; every ratio is taken run by run
 * (pgop's run against the floor's run beside it) and then summarised.
 *
 * @module
 */
import type { LoadtestReport } from "../loadtest/report.ts";
import { describeMachine, type MachineInfo } from "../loadtest/machine.ts";
import type { ColdStart } from "./cold_start.ts";
import { coldStartsOf, columns, FIGURES, type SizeResult } from "./figures.ts";
import { formatSpread, ratioSpread, spread } from "./spread.ts";
import { benchTargets } from "./targets.ts";

export type { Pair, SizeResult } from "./figures.ts";

/** Everything the README shows. */
export interface BenchResults {
  readonly startedAt: string;
  /** `git describe`-like commit of the code measured (`+dirty` when it had uncommitted changes). */
  readonly commit: string;
  readonly machine: MachineInfo;
  readonly sizes: readonly SizeResult[];
  /** Where the full reports are (Markdown). */
  readonly resultsDir: string;
}

/** A 1-minute load average above this, on 2 cores, marks the run as started on a busy machine. */
export const BUSY_LOAD = 1.0;

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

const MB = (digits = 1) => (values: (number | undefined)[]) =>
  formatSpread(spread(values.map((v) => (v === undefined ? undefined : v / 1e6))), digits, " MB");

function comparison(sizes: readonly SizeResult[]): string {
  const rows = sizes.filter((s) => s.pairs.length > 0).flatMap((s) =>
    FIGURES.map((f) => {
      const { pgop, floor } = columns(s, f);
      return [
        `${s.n} × ${s.pairs.length}`,
        f.name,
        formatSpread(spread(pgop), f.digits, f.unit),
        f.pgopOnly ? "" : formatSpread(spread(floor), f.digits, f.unit),
        f.pgopOnly ? "" : `**${formatSpread(ratioSpread(pgop, floor), 2, "×")}**`,
      ];
    })
  );
  return table(["N × runs", "figure", "pgop", "floor", "pgop/floor"], rows);
}

function work(sizes: readonly SizeResult[]): string {
  const rows = sizes.filter((s) => s.pairs.some((p) => p.pgop)).map((s) => {
    const runs = s.pairs.flatMap((p) => (p.pgop ? [p.pgop] : []));
    const each = (pick: (r: LoadtestReport) => number | undefined, digits = 2, unit = "") =>
      formatSpread(spread(runs.map(pick)), digits, unit);
    const worst = (pick: (r: LoadtestReport) => number) => Math.max(...runs.map(pick));
    return [
      String(s.n),
      each((r) => r.work.reconcilesPerDatabase),
      each((r) => (r.work.reconcileSeconds?.p50 ?? NaN) * 1000, 1, " ms"),
      each((r) => (r.work.reconcileSeconds?.p99 ?? NaN) * 1000, 1, " ms"),
      String(worst((r) => r.work.errors)),
      MB()(runs.map((r) => r.work.peakRssBytes)),
      `${worst((r) => r.requests.steady.totals.writes)} / ${
        worst((r) => r.requests.steady.totals.reads)
      } / ${worst((r) => r.requests.steady.totals.watches)}`,
    ];
  });
  return table([
    "N",
    "reconciles/DB",
    "reconcile p50",
    "reconcile p99",
    "errors (worst run)",
    "peak RSS",
    "steady window: writes / reads / watch re-opens (worst run)",
  ], rows);
}

function cold(sizes: readonly SizeResult[]): string {
  const rows = sizes.flatMap((s) => {
    const runs = coldStartsOf(s);
    if (runs.length === 0) return [];
    const each = (pick: (c: ColdStart) => number | undefined, digits = 2, unit = " s") =>
      formatSpread(spread(runs.map(pick)), digits, unit);
    const perObject = (pick: (c: ColdStart) => number | undefined, empty: number | undefined) =>
      empty === undefined ? "–" : each(
        (c) => {
          const v = pick(c);
          return v === undefined || c.cachedObjects === 0
            ? undefined
            : (v - empty) / c.cachedObjects / 1024;
        },
        2,
        " KiB",
      );
    return [[
      `${s.n} × ${runs.length}`,
      String(runs[0].cachedObjects),
      each((c) => c.processToSyncedSeconds),
      each((c) => c.cacheSyncSeconds),
      each((c) => (c.noopReconcileSeconds?.p99 ?? NaN) * 1000, 1, " ms"),
      String(Math.max(...runs.map((c) => c.writes))),
      MB()(runs.map((c) => c.rssBytes)),
      MB()(runs.map((c) => c.heapUsedBytes)),
      `${perObject((c) => c.rssBytes, s.emptyRssBytes)} / ${
        perObject((c) => c.heapUsedBytes, s.emptyHeapBytes)
      }`,
    ]];
  });
  return table([
    "N × runs",
    "objects cached",
    "process start → synced",
    "cache sync (pgop's log)",
    "no-op reconcile p99",
    "writes (worst run)",
    "RSS",
    "heap used",
    "per cached object: RSS / heap",
  ], rows);
}

/** The generated Markdown (without markers). */
export function renderBench(results: BenchResults): string {
  const load = results.machine.loadavg[0] ?? 0;
  const busy = load > BUSY_LOAD
    ? [
      `**Busy machine:** the run started with a 1-minute load average of ${load} (above ` +
      `${BUSY_LOAD} on ${results.machine.nproc} CPUs): its times and ratios are noisy.`,
      "",
    ]
    : [];
  const targets = benchTargets(results).map((t) =>
    t.met === undefined
      ? `- ${t.name}: not measured`
      : `- ${t.name}: ${t.value} — ${t.met ? "met" : `**missed**${t.by ? ` by ${t.by}` : ""}`}`
  );
  return [
    ...busy,
    `Commit \`${results.commit}\`, measured ${results.startedAt} on ${
      describeMachine(results.machine)
    }. Full reports: ${results.resultsDir}. Each figure is the median of the runs with their ` +
    "range; pgop and floor runs alternate, each on a fresh control plane, and each ratio is " +
    "taken run by run before its median.",
    "",
    "### pgop against the floor",
    "",
    comparison(results.sizes),
    "",
    "### pgop's work and resources (child process)",
    "",
    work(results.sizes),
    "",
    "### Cold start with N Databases and their children present",
    "",
    cold(results.sizes),
    "",
    "### Targets (from this run only)",
    "",
    ...targets,
  ].join("\n");
}
