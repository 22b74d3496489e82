/**
 * Flags of `deno task bench`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { integer, UsageError } from "../loadtest/options.ts";

/** What the benchmark runs. */
export interface BenchOptions {
  /** Sizes run with pgop and with the floor. */
  readonly sizes: readonly number[];
  /** Sizes populated by the floor only, for pgop's cold start and memory. */
  readonly coldSizes: readonly number[];
  readonly steadySeconds: number;
  readonly pgopArgs: readonly string[];
  readonly out?: string;
  readonly readme: boolean;
  /** A previous run's directory: its sizes that are not run again are kept in the table. */
  readonly mergeFrom?: string;
}

/** `--help` text. */
export const BENCH_USAGE = `Usage: deno task bench [flags]
  --big                  add N=10,000 to the sizes (long: the floor alone took 22 min on 2 CPUs)
  --sizes 100,1000       sizes run with pgop and with the floor (default 100,1000)
  --cold 10000           sizes populated by the floor only, then pgop's cold start and memory
  --steady-seconds S     steady-state window of each pgop run (default 30)
  --pgop-args="…"        extra pgop flags for every pgop run (with "=": they start with a dash)
  --out DIR              results (default bench/results/bench-<timestamp>/)
  --merge-from DIR       keep the sizes of an earlier run (its bench.json) that this run skips
  --no-readme            do not update bench/README.md`;

function sizes(text: string, flag: string): number[] {
  const list = text.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new UsageError(`--${flag} must be a list of positive integers, got "${text}"`);
  }
  return list;
}

/**
 * Parses the benchmark's flags; "help" for `-h`.
 * @throws {UsageError} for an unknown flag or an unusable value
 */
export function parseBenchOptions(args: readonly string[]): BenchOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        big: { type: "boolean", default: false },
        sizes: { type: "string", default: "100,1000" },
        cold: { type: "string", default: "" },
        "steady-seconds": { type: "string", default: "30" },
        "pgop-args": { type: "string", default: "" },
        out: { type: "string" },
        "merge-from": { type: "string" },
        "no-readme": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return "help";
  const steady = integer(values["steady-seconds"], "steady-seconds", 0);
  const run = sizes(values.sizes, "sizes");
  if (values.big && !run.includes(10_000)) run.push(10_000);
  return {
    sizes: run,
    coldSizes: sizes(values.cold, "cold").filter((n) => !run.includes(n)),
    steadySeconds: steady,
    pgopArgs: values["pgop-args"].split(/\s+/).filter(Boolean),
    out: values.out,
    readme: !values["no-readme"],
    mergeFrom: values["merge-from"],
  };
}
