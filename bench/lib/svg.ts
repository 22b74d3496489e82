/**
 * Small hand-written SVG charts for the benchmarks' results (no browser, no
 * dependencies): {@link lineChart} for series over x, {@link barChart} for
 * values per category with optional min–max whiskers and the individual runs
 * as dots. Each returns a complete, self-contained SVG document as a string.
 *
 * ```ts
 * await Deno.writeTextFile("bench/results/x.svg", lineChart({
 *   title: "Reconciles/s by Databases",
 *   xLabel: "Databases", yLabel: "reconciles/s",
 *   series: [{ name: "pgop", points: [[100, 40], [1000, 38]] }],
 * }));
 * ```
 *
 * @module
 */
import { escapeXml, formatNumber, niceTicks } from "./svg_format.ts";

/** What every chart takes. */
export interface ChartOptions {
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Default 720. */
  readonly width?: number;
  /** Default 400. */
  readonly height?: number;
  /** Lowest value on the y axis (default 0, or the data's minimum when that is below 0). */
  readonly yMin?: number;
  /** A line under the title (e.g. the machine and the date). */
  readonly subtitle?: string;
}

/** One line of a {@link lineChart}. */
export interface LineSeries {
  readonly name: string;
  /** [x, y] pairs; drawn in the given order. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/** One set of bars of a {@link barChart}: a value per category. */
export interface BarSeries {
  readonly name: string;
  /** One value per category (same order as `categories`). */
  readonly values: readonly number[];
  /** Optional [low, high] per category, drawn as a whisker. */
  readonly ranges?: ReadonlyArray<readonly [number, number]>;
  /** Optional individual measurements per category, drawn as dots over the bar. */
  readonly samples?: ReadonlyArray<readonly number[]>;
}

/** Colours of successive series (colour-blind-safe Okabe–Ito palette). */
export const PALETTE: readonly string[] = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#D55E00",
  "#CC79A7",
  "#56B4E9",
  "#F0E442",
  "#000000",
];

const MARGIN = { top: 56, right: 24, bottom: 64, left: 72 };
/** Room for the legend row between the title and the plot. */
const LEGEND_ROW = 20;
const FONT = 'font-family="system-ui, sans-serif"';

/**
 * A line chart with a marker at each point, linear axes with round ticks and a
 * legend. @throws {RangeError} when there is no series, or a value is not finite
 */
export function lineChart(
  options: ChartOptions & {
    readonly series: readonly LineSeries[];
    /** Lowest value on the x axis (default 0, or the data's minimum when that is below 0). */
    readonly xMin?: number;
  },
): string {
  const { series } = options;
  if (series.length === 0) throw new RangeError("lineChart needs at least one series");
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = series.flatMap((s) => s.points.map(([, y]) => y));
  checkFinite([...xs, ...ys]);
  const frame = new Frame(options, ys, series.map((s) => s.name));
  const xLow = options.xMin ?? Math.min(...xs, 0);
  const xTicks = niceTicks(xLow, Math.max(...xs, xLow + 1));
  const x0 = xTicks[0];
  const x1 = xTicks[xTicks.length - 1];
  const px = (x: number) => frame.left + ((x - x0) / (x1 - x0 || 1)) * frame.plotWidth;
  const parts = [frame.open(), frame.yAxis()];
  for (const t of xTicks) {
    parts.push(
      `<line x1="${r(px(t))}" y1="${frame.bottom}" x2="${r(px(t))}" y2="${
        frame.bottom + 5
      }" stroke="#333"/>`,
      text(px(t), frame.bottom + 20, formatNumber(t), "middle"),
    );
  }
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const path = s.points.map(([x, y]) => `${r(px(x))},${r(frame.py(y))}`).join(" ");
    parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const [x, y] of s.points) {
      parts.push(
        `<circle cx="${r(px(x))}" cy="${r(frame.py(y))}" r="3" fill="${colour}"><title>${
          escapeXml(`${s.name}: ${formatNumber(x)}, ${formatNumber(y)}`)
        }</title></circle>`,
      );
    }
  });
  parts.push(frame.legend(), "</svg>");
  return parts.join("\n");
}

/**
 * A bar chart: one group of bars per category, one bar per series, with
 * optional whiskers (`ranges`) and dots (`samples`), values printed above the
 * bars. @throws {RangeError} when the shapes do not match or a value is not finite
 */
export function barChart(
  options: ChartOptions & {
    readonly categories: readonly string[];
    readonly series: readonly BarSeries[];
    /** Digits after the point in the printed values (default: automatic). */
    readonly digits?: number;
  },
): string {
  const { categories, series } = options;
  if (categories.length === 0 || series.length === 0) {
    throw new RangeError("barChart needs at least one category and one series");
  }
  for (const s of series) {
    for (
      const [what, list] of [["values", s.values], ["ranges", s.ranges], [
        "samples",
        s.samples,
      ]] as const
    ) {
      if (list && list.length !== categories.length) {
        throw new RangeError(
          `Series "${s.name}" has ${list.length} ${what} for ${categories.length} categories`,
        );
      }
    }
  }
  const all = series.flatMap((s) => [
    ...s.values,
    ...(s.ranges ?? []).flat(),
    ...(s.samples ?? []).flat(),
  ]);
  checkFinite(all);
  const frame = new Frame(options, all, series.length > 1 ? series.map((s) => s.name) : []);
  const group = frame.plotWidth / categories.length;
  const bar = Math.min(64, (group * 0.7) / series.length);
  const parts = [frame.open(), frame.yAxis()];
  categories.forEach((category, c) => {
    const middle = frame.left + group * (c + 0.5);
    parts.push(text(middle, frame.bottom + 20, category, "middle"));
    series.forEach((s, i) => {
      const colour = PALETTE[i % PALETTE.length];
      const x = middle - (bar * series.length) / 2 + bar * i;
      const v = s.values[c];
      const top = Math.min(frame.py(v), frame.py(0));
      const h = Math.abs(frame.py(0) - frame.py(v));
      parts.push(
        `<rect x="${r(x + 2)}" y="${r(top)}" width="${r(bar - 4)}" height="${
          r(h)
        }" fill="${colour}" fill-opacity="0.75"><title>${
          escapeXml(`${s.name} · ${category}: ${formatNumber(v, options.digits)}`)
        }</title></rect>`,
      );
      const centre = x + bar / 2;
      const range = s.ranges?.[c];
      if (range) {
        const [lo, hi] = [frame.py(range[0]), frame.py(range[1])];
        parts.push(
          `<path d="M${r(centre)},${r(lo)}V${r(hi)}M${r(centre - 6)},${r(lo)}h12M${r(centre - 6)},${
            r(hi)
          }h12" stroke="#222" stroke-width="1.5" fill="none"/>`,
        );
      }
      for (const sample of s.samples?.[c] ?? []) {
        parts.push(
          `<circle cx="${r(centre)}" cy="${r(frame.py(sample))}" r="3" fill="#fff" stroke="#222"/>`,
        );
      }
      const label = range ? Math.max(v, range[1]) : v;
      parts.push(
        text(centre, frame.py(label) - 6, formatNumber(v, options.digits), "middle", 11),
      );
    });
  });
  parts.push(frame.legend(), "</svg>");
  return parts.join("\n");
}

/** The plot area, y scale, axes, title and legend shared by both charts. */
class Frame {
  readonly width: number;
  readonly height: number;
  readonly left = MARGIN.left;
  readonly top: number;
  readonly bottom: number;
  readonly plotWidth: number;
  readonly #plotHeight: number;
  readonly #yTicks: number[];
  readonly #options: ChartOptions;
  readonly #legend: readonly string[];

  /** `legend`: the series names, shown in a row above the plot (none when empty). */
  constructor(options: ChartOptions, ys: readonly number[], legend: readonly string[]) {
    this.#options = options;
    this.#legend = legend;
    this.top = MARGIN.top + (legend.length ? LEGEND_ROW : 0);
    this.width = options.width ?? 720;
    this.height = options.height ?? 400;
    this.bottom = this.height - MARGIN.bottom;
    this.plotWidth = this.width - MARGIN.left - MARGIN.right;
    this.#plotHeight = this.height - this.top - MARGIN.bottom;
    const low = options.yMin ?? Math.min(0, ...ys);
    this.#yTicks = niceTicks(low, Math.max(...ys, low + 1));
  }

  py(y: number): number {
    const t0 = this.#yTicks[0];
    const t1 = this.#yTicks[this.#yTicks.length - 1];
    return this.bottom - ((y - t0) / (t1 - t0)) * this.#plotHeight;
  }

  open(): string {
    const { title, subtitle, xLabel, yLabel } = this.#options;
    const midX = this.left + this.plotWidth / 2;
    const midY = this.top + this.#plotHeight / 2;
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}" ${FONT} font-size="12">`,
      `<rect width="100%" height="100%" fill="#fff"/>`,
      text(this.width / 2, 22, title, "middle", 16, "bold"),
      subtitle ? text(this.width / 2, 40, subtitle, "middle", 11, "normal", "#555") : "",
      xLabel ? text(midX, this.height - 16, xLabel, "middle") : "",
      yLabel
        ? `<text x="16" y="${r(midY)}" text-anchor="middle" transform="rotate(-90 16 ${r(midY)})">${
          escapeXml(yLabel)
        }</text>`
        : "",
    ].filter(Boolean).join("\n");
  }

  yAxis(): string {
    const right = this.left + this.plotWidth;
    const lines = this.#yTicks.map((t) =>
      `<line x1="${this.left}" y1="${r(this.py(t))}" x2="${right}" y2="${
        r(this.py(t))
      }" stroke="#e5e5e5"/>\n${text(this.left - 8, this.py(t) + 4, formatNumber(t), "end")}`
    );
    return [
      ...lines,
      `<line x1="${this.left}" y1="${this.top}" x2="${this.left}" y2="${this.bottom}" stroke="#333"/>`,
      `<line x1="${this.left}" y1="${this.bottom}" x2="${right}" y2="${this.bottom}" stroke="#333"/>`,
    ].join("\n");
  }

  /** The legend row: a swatch and the name of each series, left to right. */
  legend(): string {
    let x = this.left;
    const y = MARGIN.top - 2;
    return this.#legend.map((name, i) => {
      const item = `<rect x="${r(x)}" y="${y}" width="12" height="12" fill="${
        PALETTE[i % PALETTE.length]
      }"/>\n${text(x + 18, y + 10, name, "start")}`;
      x += 36 + name.length * 7;
      return item;
    }).join("\n");
  }
}

function text(
  x: number,
  y: number,
  content: string,
  anchor: "start" | "middle" | "end",
  size = 12,
  weight = "normal",
  fill = "#222",
): string {
  return `<text x="${r(x)}" y="${
    r(y)
  }" text-anchor="${anchor}" font-size="${size}" font-weight="${weight}" fill="${fill}">${
    escapeXml(content)
  }</text>`;
}

function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function checkFinite(values: readonly number[]): void {
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new RangeError(`Chart values must be finite numbers, got ${bad}`);
}
