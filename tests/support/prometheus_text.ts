/**
 * A small reader of the Prometheus text exposition format (0.0.4), enough for
 * end-to-end tests to ask "which series exist and with what value".
 *
 * @module
 */

/** One sample line: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed scrape: the samples in order, and each metric family's `# TYPE`. */
export interface Scrape {
  readonly samples: readonly Sample[];
  /** Family name → "counter", "gauge", "histogram", "summary" or "untyped". */
  readonly types: ReadonlyMap<string, string>;
}

/**
 * Parses an exposition. Label values are unescaped (`\\`, `\"`, `\n`);
 * `+Inf`, `-Inf` and `NaN` become the matching numbers.
 * @throws {SyntaxError} on a line that is neither a comment nor a sample
 */
export function parseExposition(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1], type[2]);
      continue;
    }
    samples.push(parseSample(line));
  }
  return { samples, types };
}

function parseSample(line: string): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!head) throw new SyntaxError(`Not a sample line: "${line}"`);
  const name = head[1];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    for (;;) {
      rest = rest.replace(/^[\s,]+/, "");
      if (rest.startsWith("}")) {
        rest = rest.slice(1);
        break;
      }
      const pair = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/.exec(rest);
      if (!pair) throw new SyntaxError(`Bad labels in "${line}"`);
      labels[pair[1]] = pair[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
      rest = rest.slice(pair[0].length);
    }
  }
  const valueText = rest.trim().split(/\s+/)[0];
  const value = valueText === "+Inf"
    ? Infinity
    : valueText === "-Inf"
    ? -Infinity
    : Number(valueText);
  if (valueText === undefined || valueText === "" || (Number.isNaN(value) && valueText !== "NaN")) {
    throw new SyntaxError(`Bad value in "${line}"`);
  }
  return { name, labels, value };
}

/** The samples named `name` whose labels include every pair of `labels`. */
export function samplesOf(
  scrape: Scrape,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Sample[] {
  return scrape.samples.filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
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
