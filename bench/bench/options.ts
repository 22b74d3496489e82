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
  /** pgop/floor pairs per size, and cold starts per cold size. */
  readonly runs: number;
  /** Databases the floor works on at once. */
  readonly floorWorkers: number;
  readonly steadySeconds: number;
  readonly pgopArgs: readonly string[];
  readonly out?: string;
  readonly readme: boolean;
}

/**
 * The floor's concurrency: Databases in flight at once, each with its seven
 * children created at once. Measured on the 2-core development machine at
 * N=1,000 (bench/README.md, "The floor"): 16, 64 and 256 end within 4 %, all
 * held back by the API server's one-at-a-time ClusterIP allocation. 16 keeps
 * the queue of Service creates (three per Database) far below the API
 * server's 60 s request timeout; 64 passed it at N=10,000 and collapsed.
 */
export const FLOOR_WORKERS = 16;

/** `--help` text. */
export const BENCH_USAGE = `Usage: deno task bench [flags]
  --big                  add N=10,000 to the sizes (long: the floor alone took 22 min on 2 CPUs)
  --sizes 100,1000       sizes run with pgop and with the floor (default 100,1000)
  --cold 10000           sizes populated by the floor only, then pgop's cold start and memory
  --runs R               pgop/floor pairs per size, alternating which goes first; cold starts
                         per cold size (default 3)
  --floor-workers W      Databases the floor works on at once (default ${FLOOR_WORKERS})
  --steady-seconds S     steady-state window of each pgop run (default 30)
  --pgop-args="…"        extra pgop flags for every pgop run (with "=": they start with a dash)
  --out DIR              results (default bench/results/bench-<timestamp>/)
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
        runs: { type: "string", default: "3" },
        "floor-workers": { type: "string", default: String(FLOOR_WORKERS) },
        "steady-seconds": { type: "string", default: "30" },
        "pgop-args": { type: "string", default: "" },
        out: { type: "string" },
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
    runs: integer(values.runs, "runs", 1),
    floorWorkers: integer(values["floor-workers"], "floor-workers", 1),
    steadySeconds: steady,
    pgopArgs: values["pgop-args"].split(/\s+/).filter(Boolean),
    out: values.out,
    readme: !values["no-readme"],
  };
}
