/**
 * `deno task bench`: pgop against the floor at N = 100 and 1,000 (10,000
 * with `--big`), `--runs` pairs per size (pgop and floor alternating which
 * goes first, each run on a fresh local control plane), pgop's cold start and
 * memory after each pgop run and `--runs` times against a cluster the floor
 * populated (`--cold`); writes a table of medians and ranges to
 * bench/README.md between its markers. See `--help`.
 *
 *   deno run -A bench/bench.ts [--big] [--cold 10000] [--runs 3]
 *
 * @module
 */
import { join } from "node:path";
import { type ColdStart, measureColdStart, pauseControllers } from "./bench/cold_start.ts";
import type { Pair, SizeResult } from "./bench/figures.ts";
import { BENCH_USAGE, type BenchOptions, parseBenchOptions } from "./bench/options.ts";
import { type BenchResults, renderBench } from "./bench/readme.ts";
import { replaceSection } from "./lib/readme.ts";
import { machineInfo } from "./loadtest/machine.ts";
import { type LoadtestOptions, parseLoadtestOptions, UsageError } from "./loadtest/options.ts";
import type { LoadtestReport } from "./loadtest/report.ts";
import { defaultOutDir, runLoadtest } from "./loadtest/runner.ts";
import { REPO_ROOT } from "./loadtest/sut_child.ts";

const README = join(REPO_ROOT, "bench", "README.md");

function runOptions(
  n: number,
  bench: BenchOptions,
  out: string,
  mode: "pgop" | "floor",
): LoadtestOptions {
  const parsed = parseLoadtestOptions(["--count", String(n)]);
  if (parsed === "help") throw new Error("unreachable");
  return {
    ...parsed,
    pgop: "child",
    mode,
    pgopArgs: bench.pgopArgs,
    floorWorkers: bench.floorWorkers,
    steadySeconds: mode === "pgop" ? bench.steadySeconds : 0,
    out,
  };
}

/** One load-test run; with `coldStarts` > 0, that many cold starts against the cluster it leaves. */
async function run(
  options: LoadtestOptions,
  coldStarts: number,
): Promise<{ report: LoadtestReport; coldStarts: ColdStart[] }> {
  const { report, summary } = await runLoadtest(options, {
    discardLocalCluster: true,
    afterStop: coldStarts > 0
      ? async (ctx) => {
        ctx.log(`measuring pgop's cold start ×${coldStarts} (controllers paused)…`);
        const resume = ctx.target.local ? pauseControllers(ctx.target.local) : undefined;
        const runs: ColdStart[] = [];
        try {
          for (let i = 0; i < coldStarts; i++) {
            runs.push(
              await measureColdStart({
                kubeconfig: ctx.target.kubeconfig,
                databases: options.count,
                dir: ctx.outDir,
                logName: `pgop-cold-${i + 1}.log`,
                args: options.pgopArgs,
                signal: ctx.signal,
              }),
            );
          }
        } finally {
          resume?.();
        }
        return { coldStarts: runs };
      }
      : undefined,
  });
  console.log(`${summary}\n`);
  return { report, coldStarts: (report.extra?.coldStarts as ColdStart[] | undefined) ?? [] };
}

/** The commit measured: `git rev-parse --short HEAD`, `+dirty` with uncommitted changes. */
async function commitOf(): Promise<string> {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: REPO_ROOT, stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  };
  const head = await git("rev-parse", "--short", "HEAD") ?? "unknown";
  const dirty = await git("status", "--porcelain", "--untracked-files=no");
  return dirty ? `${head}+dirty` : head;
}

/** `--runs` pairs of N: the first pair starts with the floor, the next with pgop, and so on. */
async function pairs(n: number, bench: BenchOptions, outDir: string): Promise<SizeResult> {
  const done: Pair[] = [];
  let empty: Pick<SizeResult, "emptyRssBytes" | "emptyHeapBytes"> = {};
  for (let i = 0; i < bench.runs; i++) {
    const order: ("pgop" | "floor")[] = i % 2 === 0 ? ["floor", "pgop"] : ["pgop", "floor"];
    const pair: { -readonly [K in keyof Pair]: Pair[K] } = { first: order[0] };
    for (const mode of order) {
      console.error(`== N=${n}, pair ${i + 1}/${bench.runs}: ${mode}`);
      const out = join(outDir, `${mode}-${n}-${i + 1}`);
      const result = await run(runOptions(n, bench, out, mode), mode === "pgop" ? 1 : 0);
      pair[mode] = result.report;
      if (mode === "pgop") {
        pair.coldStart = result.coldStarts[0];
        empty = {
          emptyRssBytes: result.report.work.rssBytesStart,
          emptyHeapBytes: result.report.work.heapUsedBytesStart,
        };
      }
    }
    done.push(pair);
  }
  return { n, pairs: done, ...empty };
}

async function main(): Promise<number> {
  let bench;
  try {
    bench = parseBenchOptions(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`bench: ${error.message}\n\n${BENCH_USAGE}`);
      return 2;
    }
    throw error;
  }
  if (bench === "help") {
    console.log(BENCH_USAGE);
    return 0;
  }
  const outDir = bench.out ?? defaultOutDir("bench");
  await Deno.mkdir(outDir, { recursive: true });
  const sizes: SizeResult[] = [];
  const results: Omit<BenchResults, "sizes"> = {
    startedAt: new Date().toISOString(),
    commit: await commitOf(),
    machine: await machineInfo(),
    resultsDir: `\`${outDir.startsWith(REPO_ROOT) ? outDir.slice(REPO_ROOT.length) : outDir}\``,
  };
  const save = async () => {
    const all: BenchResults = { ...results, sizes };
    await Deno.writeTextFile(join(outDir, "bench.json"), JSON.stringify(all, null, 1) + "\n");
    return all;
  };
  for (const n of bench.sizes) {
    sizes.push(await pairs(n, bench, outDir));
    await save();
  }
  const empty = sizes.at(-1);
  for (const n of bench.coldSizes) {
    console.error(`== N=${n}: the floor populates, then pgop's cold start ×${bench.runs}`);
    const floor = await run(runOptions(n, bench, join(outDir, `floor-${n}`), "floor"), bench.runs);
    sizes.push({
      n,
      pairs: [],
      coldStarts: floor.coldStarts,
      emptyRssBytes: empty?.emptyRssBytes,
      emptyHeapBytes: empty?.emptyHeapBytes,
    });
    await save();
  }
  const block = renderBench(await save());
  console.log(block);
  if (bench.readme) {
    // The section between <!-- bench:start --> and <!-- bench:end --> only.
    await replaceSection(README, "bench", block);
    console.error(`bench/README.md updated; results in ${outDir}`);
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.stack ?? error.message : error}`);
    Deno.exit(1);
  }
}
