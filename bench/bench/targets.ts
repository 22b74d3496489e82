/**
 * The targets, checked against the benchmark's results.
 *
 * @module
 */
import { mb, num } from "../loadtest/summary.ts";
import type { BenchResults, SizeResult } from "./readme.ts";

/** The targets, each with how it is read from the results. */
export interface BenchTarget {
  readonly name: string;
  readonly value: string;
  readonly met: boolean | undefined;
}

/** pgop all-Ready time divided by the floor's, for size `s`. */
export function readyRatio(s: SizeResult): number | undefined {
  const p = s.pgop?.timing.allReadySeconds;
  const f = s.floor?.timing.allReadySeconds;
  return p !== undefined && f !== undefined && f > 0 ? p / f : undefined;
}

/** The targets checked against the results. */
export function benchTargets(results: BenchResults): BenchTarget[] {
  const at = (n: number) => results.sizes.find((s) => s.n === n);
  const thousand = at(1000);
  const big = at(10_000);
  const ratio = thousand ? readyRatio(thousand) : undefined;
  const writes = results.sizes.flatMap((s) =>
    s.pgop ? [s.pgop.requests.run.writesPerDatabase] : []
  );
  const steady = results.sizes.flatMap((s) =>
    s.pgop && s.pgop.requests.steady.seconds > 0 ? [s.pgop.requests.steady.totals] : []
  );
  const cold = big?.coldStart;
  const check = (
    value: number | undefined,
    ok: (v: number) => boolean,
    text: (v: number) => string,
  ) => ({
    value: value === undefined ? "not measured" : text(value),
    met: value === undefined ? undefined : ok(value),
  });
  return [
    {
      name: "N=1,000 all Ready within 1.3× of the floor",
      ...check(ratio, (v) => v <= 1.3, (v) => `${num(v, 2)}×`),
    },
    {
      name: "at most 6 writes per Database",
      ...check(
        writes.length ? Math.max(...writes) : undefined,
        (v) => v <= 6,
        (v) => `${num(v, 2)} (worst size)`,
      ),
    },
    {
      name: "zero writes and reads in the steady-state window",
      ...check(
        steady.length ? Math.max(...steady.map((t) => t.writes + t.reads)) : undefined,
        (v) => v === 0,
        (v) => `${v} requests (worst size)`,
      ),
    },
    {
      name: "cold start to synced cache with 10,000 Databases < 3 s",
      ...check(cold?.processToSyncedSeconds, (v) => v < 3, (v) => `${num(v, 2)} s`),
    },
    {
      name: "RSS with 10,000 Databases and children cached < 120 MB",
      ...check(cold?.rssBytes, (v) => v < 120e6, (v) => mb(v)),
    },
  ];
}
