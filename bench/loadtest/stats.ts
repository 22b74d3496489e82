/**
 * Percentiles and summaries of measured values, for the load test's report.
 *
 * @module
 */

/** Percentiles of a set of values (same unit as the values). */
export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * The `q`-quantile of ascending `sorted` values by the nearest-rank method
 * (the smallest value with at least `q` of the values at or below it), so the
 * answer is always a measured value.
 * @throws {RangeError} when `sorted` is empty or `q` is not in [0, 1]
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError("Cannot take a quantile of no values");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Quantile must be in [0, 1], got ${q}`);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

/**
 * p50/p90/p99/max/mean of `values` (any order; not modified), or undefined
 * when there are none. Non-finite values are rejected.
 * @throws {RangeError} when a value is not finite
 */
export function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`Values must be finite, got ${v}`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1],
    mean: sum / sorted.length,
  };
}

/** `value / of`, or undefined when `of` is 0 or either is undefined (a ratio that cannot be told). */
export function ratio(value: number | undefined, of: number | undefined): number | undefined {
  if (value === undefined || of === undefined || of === 0) return undefined;
  return value / of;
}
