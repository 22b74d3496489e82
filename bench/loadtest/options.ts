/**
 * Flags of `deno task loadtest`, parsed into {@link LoadtestOptions}. Pure:
 * bad values throw {@link UsageError} naming the flag.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** How pgop runs during the test. */
export type PgopMode = "in-process" | "child" | "none";
/** What does the work: pgop, or the minimal writer that shows the floor. */
export type WorkMode = "pgop" | "floor";

/** One environment and its share of the Databases. */
export interface EnvShare {
  readonly env: string;
  readonly weight: number;
}

/** Everything a load-test run needs to know. */
export interface LoadtestOptions {
  readonly count: number;
  readonly namespaces: number;
  /** Shares summing to 1. */
  readonly envMix: readonly EnvShare[];
  /** Database creations in flight at once. */
  readonly concurrency: number;
  /** The load tool's own client QPS; 0 = unlimited. */
  readonly qps: number;
  /** Absent: start a local control plane. */
  readonly kubeconfig?: string;
  readonly pgop: PgopMode;
  readonly pgopArgs: readonly string[];
  readonly mode: WorkMode;
  readonly steadySeconds: number;
  /** Absent: `bench/results/loadtest-<timestamp>/`. */
  readonly out?: string;
  readonly cleanup: boolean;
  /** Record a CPU profile of the child pgop (through the inspector). */
  readonly cpuProf: boolean;
  /** Workers of the floor writer; default pgop's `--workers` (from `--pgop-args`) or 8. */
  readonly floorWorkers: number;
  /** Give up when not every Database is Ready after this many seconds. */
  readonly timeoutSeconds: number;
  /** Give up when no Database got its first status or became Ready for this many seconds. */
  readonly stallSeconds: number;
  /**
   * A local control plane with one real node instead of kwok's: every
   * Database a real PostgreSQL (the local image), so Ready means it answered.
   */
  readonly real: boolean;
}

/** A flag value that cannot be used. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** `--help` text. */
export const USAGE = `Usage: deno task loadtest [flags]
  -n, --count N            Databases to create (default 100)
  --namespaces K           spread over K namespaces pgop-loadtest-0..K-1, created if missing (default 1)
  --env-mix a:0.5,b:0.5    share of spec.environment values (default production:0.5,staging:0.5)
  --concurrency C          creations in flight (default 20)
  --qps Q                  the load tool's own client QPS, 0 = unlimited (default 0)
  --kubeconfig PATH        use this cluster (CRD installed) instead of starting a local control plane
  --pgop MODE              in-process (default: requests from pgop's client hook), child
                           (main.ts as a process: clean CPU/RSS from its /metrics), none (run it yourself)
  --pgop-args="…"          extra pgop flags, e.g. --pgop-args="--workers 16 --kube-api-qps 100"
  --mode pgop|floor        floor: a minimal writer instead of pgop, to show what this API server can do
  --floor-workers W        concurrency of the floor writer (default: pgop's --workers, 8)
  --steady-seconds S       idle window after all are Ready, counting pgop's requests (default 60)
  --timeout S              give up when not all are Ready after S seconds (default 600 + N/5)
  --stall S                give up when no Database got a status or became Ready for S s (default 60)
  --out DIR                results (default bench/results/loadtest-<timestamp>/)
  --cpu-prof               with --pgop child: write a CPU profile of pgop (pgop.cpuprofile)
  --real                   local control plane with one real node (no kwok): real PostgreSQL pods,
                           Ready when they answer; small N only (each pod is a PostgreSQL)
  --no-cleanup             keep the Databases and namespaces (and a local control plane, until Ctrl-C)`;

/**
 * The integer value of flag `--flag`.
 * @throws {UsageError} for a value that is empty, not an integer, or below `min`
 */
export function integer(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--${flag} must be an integer >= ${min}, got "${text}"`);
  }
  return n;
}

/**
 * Parses `production:0.5,staging:0.5` into shares that sum to 1 (weights are
 * normalised, so `a:1,b:3` works too).
 * @throws {UsageError} on a malformed entry, a negative weight or a zero total
 */
export function parseEnvMix(text: string): EnvShare[] {
  const shares = text.split(",").map((s) => s.trim()).filter(Boolean).map((entry) => {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?):(\d+(\.\d+)?)$/.exec(entry);
    if (!m) {
      throw new UsageError(`--env-mix entries must look like "production:0.5", got "${entry}"`);
    }
    return { env: m[1], weight: Number(m[3]) };
  });
  const total = shares.reduce((a, s) => a + s.weight, 0);
  if (shares.length === 0 || total <= 0) {
    throw new UsageError(`--env-mix needs at least one positive weight, got "${text}"`);
  }
  return shares.map((s) => ({ env: s.env, weight: s.weight / total }));
}

/** `--workers N` from pgop's flags, if given. */
function workersIn(args: readonly string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const m = /^--workers(?:=(.*))?$/.exec(args[i]);
    if (!m) continue;
    const n = Number(m[1] ?? args[i + 1]);
    if (Number.isInteger(n) && n > 0) return n;
  }
  return undefined;
}

/**
 * Parses the load tool's flags. Returns "help" for `-h`/`--help`.
 * @throws {UsageError} for an unknown flag or an unusable value
 */
export function parseLoadtestOptions(args: readonly string[]): LoadtestOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        count: { type: "string", short: "n", default: "100" },
        namespaces: { type: "string", default: "1" },
        "env-mix": { type: "string", default: "production:0.5,staging:0.5" },
        concurrency: { type: "string", default: "20" },
        qps: { type: "string", default: "0" },
        kubeconfig: { type: "string" },
        pgop: { type: "string", default: "in-process" },
        "pgop-args": { type: "string", default: "" },
        mode: { type: "string", default: "pgop" },
        "floor-workers": { type: "string" },
        "steady-seconds": { type: "string", default: "60" },
        timeout: { type: "string" },
        stall: { type: "string", default: "60" },
        out: { type: "string" },
        "cpu-prof": { type: "boolean", default: false },
        "no-cleanup": { type: "boolean", default: false },
        real: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return "help";
  const pgop = values.pgop;
  if (pgop !== "in-process" && pgop !== "child" && pgop !== "none") {
    throw new UsageError(`--pgop must be in-process, child or none, got "${pgop}"`);
  }
  const mode = values.mode;
  if (mode !== "pgop" && mode !== "floor") {
    throw new UsageError(`--mode must be pgop or floor, got "${mode}"`);
  }
  const qps = Number(values.qps);
  if (values.qps.trim() === "" || !Number.isFinite(qps) || qps < 0) {
    throw new UsageError(`--qps must be a number >= 0, got "${values.qps}"`);
  }
  if (values.real && values.kubeconfig !== undefined) {
    throw new UsageError("--real starts its own control plane; it cannot go with --kubeconfig");
  }
  if (values["cpu-prof"] && pgop !== "child") {
    throw new UsageError("--cpu-prof needs --pgop child");
  }
  const count = integer(values.count, "count", 1);
  const pgopArgs = values["pgop-args"].split(/\s+/).filter(Boolean);
  return {
    count,
    namespaces: integer(values.namespaces, "namespaces", 1),
    envMix: parseEnvMix(values["env-mix"]),
    concurrency: integer(values.concurrency, "concurrency", 1),
    qps,
    kubeconfig: values.kubeconfig,
    pgop,
    pgopArgs,
    mode,
    steadySeconds: integer(values["steady-seconds"], "steady-seconds", 0),
    out: values.out,
    cleanup: !values["no-cleanup"],
    cpuProf: values["cpu-prof"],
    floorWorkers: values["floor-workers"] === undefined
      ? workersIn(pgopArgs) ?? 8
      : integer(values["floor-workers"], "floor-workers", 1),
    timeoutSeconds: values.timeout === undefined
      ? 600 + Math.ceil(count / 5)
      : integer(values.timeout, "timeout", 1),
    stallSeconds: integer(values.stall, "stall", 1),
    real: values.real,
  };
}
