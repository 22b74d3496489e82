/**
 * `deno task bench`: pgop against the floor at N = 100 and 1,000 (10,000
 * with `--big`), each run on a fresh local control plane, plus pgop's cold
 * start and memory with N Databases present; writes a table to
 * bench/README.md between its markers. See `--help`.
 *
 *   deno run -A bench/bench.ts [--big] [--cold 10000]
 *
 * @module
 */
import { join } from "node:path";
import { type ColdStart, measureColdStart, pauseControllers } from "./bench/cold_start.ts";
import { BENCH_USAGE, type BenchOptions, parseBenchOptions } from "./bench/options.ts";
import { type BenchResults, renderBench, type SizeResult } from "./bench/readme.ts";
import { replaceSection } from "./lib/readme.ts";
import { machineInfo } from "./loadtest/machine.ts";
import { type LoadtestOptions, parseLoadtestOptions, UsageError } from "./loadtest/options.ts";
import type { LoadtestReport } from "./loadtest/report.ts";
import { defaultOutDir, runLoadtest } from "./loadtest/runner.ts";
import { REPO_ROOT } from "./loadtest/sut_child.ts";

const README = join(REPO_ROOT, "bench", "README.md");

function runOptions(n: number, bench: BenchOptions, outDir: string, mode: "pgop" | "floor") {
  const parsed = parseLoadtestOptions(["--count", String(n)]);
  if (parsed === "help") throw new Error("unreachable");
  const options: LoadtestOptions = {
    ...parsed,
    pgop: "child",
    mode,
    pgopArgs: bench.pgopArgs,
    steadySeconds: mode === "pgop" ? bench.steadySeconds : 0,
    out: join(outDir, `${mode}-${n}`),
  };
  return options;
}

async function run(
  options: LoadtestOptions,
  coldStart: boolean,
): Promise<{ report: LoadtestReport; coldStart?: ColdStart }> {
  const { report, summary } = await runLoadtest(options, {
    discardLocalCluster: true,
    afterStop: coldStart
      ? async (ctx) => {
        ctx.log("measuring pgop's cold start with everything present (controllers paused)…");
        const resume = ctx.target.local ? pauseControllers(ctx.target.local) : undefined;
        try {
          return {
            coldStart: await measureColdStart({
              kubeconfig: ctx.target.kubeconfig,
              databases: options.count,
              dir: ctx.outDir,
              args: options.pgopArgs,
            }),
          };
        } finally {
          resume?.();
        }
      }
      : undefined,
  });
  console.log(`${summary}\n`);
  return { report, coldStart: report.extra?.coldStart as ColdStart | undefined };
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
  let results: BenchResults = {
    startedAt: new Date().toISOString(),
    machine: await machineInfo(),
    sizes: [],
    resultsDir: `\`${outDir.startsWith(REPO_ROOT) ? outDir.slice(REPO_ROOT.length) : outDir}\``,
  };
  const sizes: SizeResult[] = [];
  let empty: Pick<SizeResult, "emptyRssBytes" | "emptyHeapBytes"> = {};
  const save = async () => {
    const all = { ...results, sizes };
    await Deno.writeTextFile(join(outDir, "bench.json"), JSON.stringify(all, null, 1) + "\n");
    return all;
  };
  for (const n of bench.sizes) {
    console.error(`== N=${n}: pgop`);
    const pgop = await run(runOptions(n, bench, outDir, "pgop"), true);
    empty = {
      emptyRssBytes: pgop.report.work.rssBytesStart,
      emptyHeapBytes: pgop.report.work.heapUsedBytesStart,
    };
    console.error(`== N=${n}: floor`);
    const floor = await run(runOptions(n, bench, outDir, "floor"), false);
    sizes.push({ n, pgop: pgop.report, floor: floor.report, coldStart: pgop.coldStart, ...empty });
    await save();
  }
  for (const n of bench.coldSizes) {
    console.error(`== N=${n}: floor, then pgop's cold start`);
    const floor = await run(runOptions(n, bench, outDir, "floor"), true);
    sizes.push({ n, floor: floor.report, coldStart: floor.coldStart, ...empty });
    await save();
  }
  if (bench.mergeFrom) {
    const earlier = JSON.parse(
      await Deno.readTextFile(join(bench.mergeFrom, "bench.json")),
    ) as BenchResults;
    const kept = earlier.sizes.filter((e) => !sizes.some((s) => s.n === e.n));
    sizes.push(...kept);
    sizes.sort((a, b) => a.n - b.n);
    if (kept.length) {
      const from = `N=${kept.map((k) => k.n).join(", ")} from ${
        earlier.resultsDir.startsWith("`") ? earlier.resultsDir : `\`${earlier.resultsDir}\``
      } (${earlier.startedAt})`;
      results = { ...results, resultsDir: `${results.resultsDir}; ${from}` };
      console.error(`kept ${from}`);
    }
  }
  const all = await save();
  const block = renderBench(all);
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
