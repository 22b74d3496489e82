/**
 * The figures the benchmark compares, each read the same way from a pgop run
 * and a floor run of one size. Pure.
 *
 * @module
 */
import type { LoadtestReport } from "../loadtest/report.ts";
import type { ColdStart } from "./cold_start.ts";

/** One pgop run and one floor run of a size, made one after the other on fresh control planes. */
export interface Pair {
  readonly pgop?: LoadtestReport;
  readonly floor?: LoadtestReport;
  /** Which of the two ran first (the order alternates from pair to pair). */
  readonly first?: "pgop" | "floor";
  /** pgop's cold start against the cluster its run left. */
  readonly coldStart?: ColdStart;
}

/** One size's results. */
export interface SizeResult {
  readonly n: number;
  /** pgop against the floor, side by side (none for a cold-start-only size). */
  readonly pairs: readonly Pair[];
  /** Cold starts against one cluster the floor populated (cold-start-only sizes). */
  readonly coldStarts?: readonly ColdStart[];
  /** RSS of pgop synced against an empty cluster, for memory per cached object. */
  readonly emptyRssBytes?: number;
  readonly emptyHeapBytes?: number;
}

/** A figure of a run, read from its report. */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly digits: number;
  /** Only pgop has it (its own CPU): no floor value and no ratio. */
  readonly pgopOnly?: boolean;
  read(report: LoadtestReport): number | undefined;
}

const perThousand = (value: number | undefined, n: number) =>
  value === undefined ? undefined : value * 1000 / n;

/** The headline figures, in the order of the table: what pgop controls first. */
export const FIGURES: readonly Figure[] = [
  {
    name: "creation → all 7 children, p50",
    unit: " s",
    digits: 3,
    read: (r) => r.timing.timeToChildren?.p50,
  },
  {
    name: "creation → all 7 children, p99",
    unit: " s",
    digits: 3,
    read: (r) => r.timing.timeToChildren?.p99,
  },
  {
    name: "creation → first status, p50",
    unit: " s",
    digits: 3,
    read: (r) => r.timing.timeToFirstStatus?.p50,
  },
  {
    name: "creation → first status, p99",
    unit: " s",
    digits: 3,
    read: (r) => r.timing.timeToFirstStatus?.p99,
  },
  { name: "creation → Ready, p50", unit: " s", digits: 2, read: (r) => r.timing.timeToReady?.p50 },
  { name: "creation → Ready, p99", unit: " s", digits: 2, read: (r) => r.timing.timeToReady?.p99 },
  { name: "all Ready", unit: " s", digits: 1, read: (r) => r.timing.allReadySeconds },
  {
    name: "writes per Database",
    unit: "",
    digits: 2,
    read: (r) => r.requests.run.writesPerDatabase,
  },
  {
    name: "API server CPU per 1,000 Databases",
    unit: " s",
    digits: 2,
    read: (r) => perThousand(r.controlPlane?.apiserverCpuSeconds, r.n),
  },
  {
    name: "etcd CPU per 1,000 Databases",
    unit: " s",
    digits: 2,
    read: (r) => perThousand(r.controlPlane?.etcdCpuSeconds, r.n),
  },
  {
    name: "etcd WAL bytes per Database",
    unit: " kB",
    digits: 1,
    read: (r) => (r.controlPlane?.etcdWalBytesPerDatabase ?? NaN) / 1000,
  },
  {
    name: "watches held open",
    unit: "",
    digits: 0,
    read: (r) => r.controlPlane?.watchesHeld,
  },
  {
    name: "pgop CPU per 1,000 Databases",
    unit: " s",
    digits: 2,
    pgopOnly: true,
    read: (r) => perThousand(r.work.cpuSecondsRun, r.n),
  },
];

/** `figure` of every pair's pgop and floor run, in pair order (undefined where missing). */
export function columns(
  size: SizeResult,
  figure: Figure,
): { pgop: (number | undefined)[]; floor: (number | undefined)[] } {
  const read = (r: LoadtestReport | undefined) => (r ? figure.read(r) : undefined);
  return {
    pgop: size.pairs.map((p) => read(p.pgop)),
    floor: size.pairs.map((p) => read(p.floor)),
  };
}

/** Every cold start of a size: after each pgop run, or against the floor's cluster. */
export function coldStartsOf(size: SizeResult): ColdStart[] {
  return [
    ...size.pairs.flatMap((p) => (p.coldStart ? [p.coldStart] : [])),
    ...(size.coldStarts ?? []),
  ];
}
