/**
 * How many Databases the floor should work on at once: the floor alone at N
 * (default 1,000) for each of `--workers` (default 8, 32, 64, 128, 256),
 * `--runs` times each (default 2), every run on a fresh local control plane,
 * the worker counts interleaved (a slow stretch of the machine hurts them
 * alike). Reports the median and range of time to all Ready, of creation →
 * all four children (p50, p99) and of the API server's CPU, and writes the
 * table into bench/README.md (`floor-workers` section) and the raw reports to
 * bench/results/floor-workers-<time>/.
 *
 *   deno run -A bench/floor_workers.ts [--count 1000] [--workers 8,32,64,128,256] [--runs 2]
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatSpread, spread } from "./bench/spread.ts";
import { replaceSection } from "./lib/readme.ts";
import { machineInfo } from "./loadtest/machine.ts";
import { parseLoadtestOptions } from "./loadtest/options.ts";
import type { LoadtestReport } from "./loadtest/report.ts";
import { defaultOutDir, runLoadtest } from "./loadtest/runner.ts";
import { REPO_ROOT } from "./loadtest/sut_child.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    count: { type: "string", default: "1000" },
    workers: { type: "string", default: "8,32,64,128,256" },
    runs: { type: "string", default: "2" },
    "no-readme": { type: "boolean", default: false },
  },
});
const count = Number(values.count);
const workers = values.workers.split(",").map(Number);
const runs = Number(values.runs);
if (!(count > 0) || workers.some((w) => !(w >= 1)) || !(runs >= 1)) {
  console.error("usage: floor_workers.ts [--count N] [--workers W,W,…] [--runs R]");
  Deno.exit(2);
}

const outDir = defaultOutDir("floor-workers");
await Deno.mkdir(outDir, { recursive: true });
const machine = await machineInfo();
const reports = new Map<number, LoadtestReport[]>(workers.map((w) => [w, []]));
for (let i = 0; i < runs; i++) {
  // Alternate the order of the sweep from one round to the next.
  for (const w of i % 2 === 0 ? workers : [...workers].reverse()) {
    console.error(`== floor, N=${count}, ${w} workers, run ${i + 1}/${runs}`);
    const parsed = parseLoadtestOptions(["--count", String(count)]);
    if (parsed === "help") throw new Error("unreachable");
    const { report, summary } = await runLoadtest({
      ...parsed,
      mode: "floor",
      floorWorkers: w,
      steadySeconds: 0,
      out: join(outDir, `floor-w${w}-${i + 1}`),
    }, { discardLocalCluster: true });
    console.log(summary);
    reports.get(w)!.push(report);
  }
}

const cell = (rs: LoadtestReport[], pick: (r: LoadtestReport) => number | undefined, digits = 1) =>
  formatSpread(spread(rs.map(pick)), digits, " s");
const rows = workers.map((w) => {
  const rs = reports.get(w)!;
  return `| ${w} | ${cell(rs, (r) => r.timing.allReadySeconds)} | ${
    cell(rs, (r) => r.timing.timeToChildren?.p50, 2)
  } | ${cell(rs, (r) => r.timing.timeToChildren?.p99, 2)} | ${
    cell(rs, (r) => r.controlPlane?.apiserverCpuSeconds)
  } |`;
});
const load = machine.loadavg.map((l) => l.toFixed(2)).join(" ");
const dir = outDir.startsWith(REPO_ROOT) ? outDir.slice(REPO_ROOT.length) : outDir;
const table = [
  `Measured ${
    new Date().toISOString()
  } (\`deno run -A bench/floor_workers.ts --count ${count} --runs ${runs}\`), ` +
  `load average at start ${load}; median (min–max) of ${runs} runs per row, each on a fresh control ` +
  `plane; raw reports in \`${dir}\`.`,
  "",
  "| floor workers | all Ready | creation → 7 children p50 | p99 | API server CPU |",
  "| ------------: | --------- | ------------------------- | --- | -------------- |",
  ...rows,
].join("\n");
await Deno.writeTextFile(
  join(outDir, "floor_workers.json"),
  JSON.stringify(Object.fromEntries(reports), null, 1) + "\n",
);
console.log(table);
if (!values["no-readme"]) {
  await replaceSection(join(REPO_ROOT, "bench", "README.md"), "floor-workers", table);
}
