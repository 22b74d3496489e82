/**
 * The run's chart as a standalone SVG, written without a browser: three
 * panels over the same time axis — Databases created / reconciled / Ready,
 * work-queue depth, and the request rate of the system under test.
 *
 * @module
 */
import type { SeriesPoint } from "./sampler.ts";

/** One line of a panel. */
export interface Line {
  readonly name: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

const WIDTH = 900;
const PANEL_HEIGHT = 200;
const MARGIN = { left: 70, right: 150, top: 30, bottom: 30 };

/** Round tick positions from 0 to at least `max`: steps of 1, 2 or 5 × 10^k. */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) {
    ticks.push(Number(v.toPrecision(12)));
    if (v >= max) break;
  }
  return ticks;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One panel as SVG elements, placed at `top`. */
export function panel(title: string, lines: readonly Line[], xMax: number, top: number): string {
  const w = WIDTH - MARGIN.left - MARGIN.right;
  const h = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const yMaxData = Math.max(0, ...lines.flatMap((l) => l.points.map(([, y]) => y)));
  const yTicks = niceTicks(yMaxData);
  const xTicks = niceTicks(xMax, 8);
  const yMax = yTicks[yTicks.length - 1];
  const xEnd = xTicks[xTicks.length - 1];
  const x = (v: number) => MARGIN.left + (v / xEnd) * w;
  const y = (v: number) => top + MARGIN.top + h - (v / yMax) * h;
  const out: string[] = [
    `<text x="${MARGIN.left}" y="${top + 18}" font-weight="bold">${escape(title)}</text>`,
  ];
  for (const v of yTicks) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + w}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
    );
  }
  for (const v of xTicks) {
    out.push(
      `<text x="${x(v)}" y="${top + MARGIN.top + h + 16}" text-anchor="middle">${v}s</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${
      top + MARGIN.top
    }" width="${w}" height="${h}" fill="none" stroke="#888"/>`,
  );
  lines.forEach((line, i) => {
    if (line.points.length > 0) {
      const d = line.points.map(([px, py], j) =>
        `${j === 0 ? "M" : "L"}${x(px).toFixed(1)},${y(py).toFixed(1)}`
      ).join("");
      out.push(`<path d="${d}" fill="none" stroke="${line.color}" stroke-width="1.5"/>`);
    }
    const ly = top + MARGIN.top + 14 + i * 18;
    out.push(
      `<line x1="${MARGIN.left + w + 12}" x2="${MARGIN.left + w + 32}" y1="${ly - 4}" y2="${
        ly - 4
      }" stroke="${line.color}" stroke-width="3"/>`,
      `<text x="${MARGIN.left + w + 38}" y="${ly}">${escape(line.name)}</text>`,
    );
  });
  return out.join("\n");
}

/** Requests per second between points, averaged over `windowPoints` intervals. */
export function requestRate(
  points: readonly SeriesPoint[],
  windowPoints = 4,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 1; i < points.length; i++) {
    const from = points[Math.max(0, i - windowPoints)];
    const dt = points[i].t - from.t;
    if (dt > 0) out.push([points[i].t, Math.max(0, (points[i].requests - from.requests) / dt)]);
  }
  return out;
}

/** The whole chart of a run as an SVG document. */
export function runChart(points: readonly SeriesPoint[], title: string): string {
  const xMax = Math.max(1, ...points.map((p) => p.t));
  const series = (pick: (p: SeriesPoint) => number | undefined) =>
    points.flatMap((p): Array<[number, number]> => {
      const v = pick(p);
      return v === undefined ? [] : [[p.t, v]];
    });
  const panels = [
    panel(
      "Databases",
      [
        { name: "created", color: "#999999", points: series((p) => p.created) },
        { name: "reconciled", color: "#1f77b4", points: series((p) => p.reconciled) },
        { name: "Ready", color: "#2ca02c", points: series((p) => p.ready) },
      ],
      xMax,
      30,
    ),
    panel(
      "Work-queue depth",
      [
        { name: "queue depth", color: "#ff7f0e", points: series((p) => p.queueDepth) },
      ],
      xMax,
      30 + PANEL_HEIGHT,
    ),
    panel(
      "API requests / s (system under test)",
      [
        { name: "requests/s", color: "#d62728", points: requestRate(points) },
      ],
      xMax,
      30 + 2 * PANEL_HEIGHT,
    ),
  ];
  const height = 30 + 3 * PANEL_HEIGHT;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n` +
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>\n` +
    panels.join("\n") + "\n</svg>\n";
}
