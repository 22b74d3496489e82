/**
 * Reading the Prometheus text exposition (0.0.4: pgop's `/metrics`,
 * kube-apiserver's `/metrics`) for tests and benchmarks: samples and metric
 * types, sums over label filters, and quantiles from histogram buckets as
 * PromQL's `histogram_quantile` computes them. (The npm parsers looked at,
 * `parse-prometheus-text-format` among them, are unmaintained and untyped and
 * group histograms, where these callers want the raw series.)
 *
 * @module
 */

/** One sample line: metric name, labels, value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    if (eq < 0 || text[eq + 1] !== '"') throw new SyntaxError(`Bad labels in "${line}"`);
    const key = text.slice(i, eq).trim();
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        j++;
        value += text[j] === "n" ? "\n" : text[j];
      } else value += text[j];
    }
    if (j >= text.length) throw new SyntaxError(`Unterminated label value in "${line}"`);
    labels[key] = value;
    i = j + 1;
    while (text[i] === "," || text[i] === " ") i++;
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/** A parsed scrape: the samples in order, and each metric family's `# TYPE`. */
export interface Scrape {
  readonly samples: readonly Sample[];
  /** Family name → "counter", "gauge", "histogram", "summary" or "untyped". */
  readonly types: ReadonlyMap<string, string>;
}

/**
 * The samples and types of `text`; with `keep`, only samples whose metric
 * name it accepts are parsed.
 * @throws {SyntaxError} on a line that is neither a comment nor a sample
 */
export function parseExposition(text: string, keep?: (name: string) => boolean): Scrape {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1], match[2]);
  return { samples: parsePromText(text, keep), types };
}

/** The samples named `name` whose labels include every pair of `labels`. */
export function samplesOf(
  scrape: Scrape,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Sample[] {
  return scrape.samples.filter((s) => s.name === name && matches(s, labels));
}

/** The sum of the values of {@link samplesOf}; undefined when there is no such sample. */
export function valueOf(
  scrape: Scrape,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const found = samplesOf(scrape, name, labels);
  return found.length === 0 ? undefined : found.reduce((sum, s) => sum + s.value, 0);
}

/**
 * The samples of `text`, skipping comments and blank lines. With `keep`, only
 * samples whose metric name it accepts are parsed (a 5 MB kube-apiserver
 * scrape is mostly metrics nobody asked for).
 * @throws {SyntaxError} on a sample line that is not in the text format
 */
export function parsePromText(text: string, keep?: (name: string) => boolean): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (keep) {
      const end = line.search(/[{\s]/);
      if (!keep(end < 0 ? line : line.slice(0, end))) continue;
    }
    const m = LINE.exec(line);
    if (!m) throw new SyntaxError(`Not a sample line: "${line}"`);
    const value = parseValue(m[4]);
    if (Number.isNaN(value) && m[4] !== "NaN") throw new SyntaxError(`Bad value in "${line}"`);
    samples.push({ name: m[1], labels: m[3] ? parseLabels(m[3], line) : {}, value });
  }
  return samples;
}

function matches(sample: Sample, filter: Readonly<Record<string, string>>): boolean {
  return Object.entries(filter).every(([k, v]) => sample.labels[k] === v);
}

/** Sum of the samples named `name` whose labels include every pair of `filter`; 0 when none. */
export function sumSamples(
  samples: readonly Sample[],
  name: string,
  filter: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const s of samples) if (s.name === name && matches(s, filter)) sum += s.value;
  return sum;
}

/** Sums by the values of `label` (e.g. counts by verb). */
export function sumBy(
  samples: readonly Sample[],
  name: string,
  label: string,
  filter: Readonly<Record<string, string>> = {},
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name || !matches(s, filter)) continue;
    const key = s.labels[label] ?? "";
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/**
 * The `q`-quantile of histogram `name` (its `_bucket` series, summed over every
 * other label that matches `filter`), interpolating linearly inside the
 * bucket as `histogram_quantile` does. Undefined when the histogram is empty.
 * An answer in the `+Inf` bucket is reported as the highest finite bound.
 * @throws {RangeError} when `q` is not in [0, 1]
 */
export function histogramQuantile(
  samples: readonly Sample[],
  name: string,
  q: number,
  filter: Readonly<Record<string, string>> = {},
): number | undefined {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Quantile must be in [0, 1], got ${q}`);
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !matches(s, filter) || s.labels.le === undefined) continue;
    const le = parseValue(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return lowerBound;
      if (count === lowerCount) return le;
      return lowerBound + (le - lowerBound) * (rank - lowerCount) / (count - lowerCount);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}
