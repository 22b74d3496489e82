/**
 * A figure measured several times, told as its median and range: what the
 * benchmark's tables show for every value and ratio.
 *
 * @module
 */
import { num } from "../loadtest/summary.ts";

/** Median, smallest and largest of the runs that measured a figure. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Runs that measured it. */
  readonly count: number;
}

/**
 * The spread of the defined, finite `values` (the middle two averaged for an
 * even count), or undefined when none is.
 */
export function spread(values: readonly (number | undefined)[]): Spread | undefined {
  const sorted = values.filter((v): v is number => v !== undefined && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], count: sorted.length };
}

/** "1.23 (1.10–1.40)", or the value alone for one run, "–" for none; `unit` follows each number. */
export function formatSpread(s: Spread | undefined, digits = 2, unit = ""): string {
  if (!s) return "–";
  const f = (v: number) => `${num(v, digits)}${unit}`;
  return s.count === 1 || s.min === s.max
    ? f(s.median)
    : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** Per-run ratios `a[i] / b[i]` of runs measured side by side, as a spread. */
export function ratioSpread(
  a: readonly (number | undefined)[],
  b: readonly (number | undefined)[],
): Spread | undefined {
  return spread(a.map((v, i) => {
    const d = b[i];
    return v === undefined || d === undefined || d === 0 ? undefined : v / d;
  }));
}
