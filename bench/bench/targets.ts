/**
 * The project's targets, checked against one benchmark run's medians.
 *
 * @module
 */
import { mb, num } from "../loadtest/summary.ts";
import { MAX_WRITES_PER_DATABASE } from "../loadtest/targets.ts";
import { coldStartsOf, type SizeResult } from "./figures.ts";
import type { BenchResults } from "./readme.ts";
import { formatSpread, ratioSpread, type Spread, spread } from "./spread.ts";

/** A target, its measured value and whether the median meets it. */
export interface BenchTarget {
  readonly name: string;
  readonly value: string;
  readonly met: boolean | undefined;
  /** How far the median is from the target when missed. */
  readonly by?: string;
}

/** pgop's all-Ready time over the floor's, run by run, for size `s`. */
export function readyRatio(s: SizeResult): Spread | undefined {
  return ratioSpread(
    s.pairs.map((p) => p.pgop?.timing.allReadySeconds),
    s.pairs.map((p) => p.floor?.timing.allReadySeconds),
  );
}

function check(
  name: string,
  value: Spread | undefined,
  limit: number,
  ok: (v: number) => boolean,
  text: (s: Spread) => string,
  gap: (d: number) => string,
): BenchTarget {
  if (!value) return { name, value: "not measured", met: undefined };
  const met = ok(value.median);
  return { name, value: text(value), met, by: met ? undefined : gap(value.median - limit) };
}

/** The targets checked against the results (medians; worst run where a target is "never"). */
export function benchTargets(results: BenchResults): BenchTarget[] {
  const at = (n: number) => results.sizes.find((s) => s.n === n);
  const thousand = at(1000);
  const pgopRuns = results.sizes.flatMap((s) => s.pairs.flatMap((p) => (p.pgop ? [p.pgop] : [])));
  const worst = (values: number[]) => values.length ? spread([Math.max(...values)]) : undefined;
  const steady = pgopRuns.filter((r) => r.requests.steady.seconds > 0)
    .map((r) => r.requests.steady.totals.writes + r.requests.steady.totals.reads);
  const cold = coldStartsOf(at(10_000) ?? { n: 10_000, pairs: [] });
  return [
    check(
      "N=1,000 all Ready within 1.3× of the floor",
      thousand && readyRatio(thousand),
      1.3,
      (v) => v <= 1.3,
      (s) => formatSpread(s, 2, "×"),
      (d) => `${num(d, 2)}×`,
    ),
    check(
      `at most ${MAX_WRITES_PER_DATABASE} writes per Database`,
      worst(pgopRuns.map((r) => r.requests.run.writesPerDatabase)),
      MAX_WRITES_PER_DATABASE,
      (v) => v <= MAX_WRITES_PER_DATABASE,
      (s) => `${num(s.median, 2)} (worst run)`,
      (d) => num(d, 2),
    ),
    check(
      "zero writes and reads in the steady-state window",
      worst(steady),
      0,
      (v) => v === 0,
      (s) => `${s.median} requests (worst run)`,
      (d) => `${d} requests`,
    ),
    check(
      "cold start to synced cache with 10,000 Databases < 3 s",
      spread(cold.map((c) => c.processToSyncedSeconds)),
      3,
      (v) => v < 3,
      (s) => formatSpread(s, 2, " s"),
      (d) => `${num(d, 2)} s`,
    ),
    check(
      "RSS with 10,000 Databases and children cached < 120 MB",
      spread(cold.map((c) => c.rssBytes)),
      120e6,
      (v) => v < 120e6,
      (s) => `${mb(s.median)} (${mb(s.min)}–${mb(s.max)})`,
      (d) => mb(d),
    ),
  ];
}
