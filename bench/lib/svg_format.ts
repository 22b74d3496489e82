/**
 * Numbers and text for SVG charts: round axis ticks, labels, XML escaping.
 *
 * @module
 */

/** Round tick values covering [min, max]: steps of 1, 2 or 5 × 10^n, about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) {
    throw new RangeError(`niceTicks needs finite bounds, got ${min} and ${max}`);
  }
  if (max <= min) max = min + 1;
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let t = first; t < max + step * 0.999; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** A number for a label: integers as is, others with up to `digits` (default 2) decimals. */
export function formatNumber(n: number, digits?: number): string {
  if (digits !== undefined) return n.toFixed(digits);
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toFixed(Math.abs(n) >= 10 ? 1 : 2)));
}

/** `&`, `<`, `>` and quotes as XML entities. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
