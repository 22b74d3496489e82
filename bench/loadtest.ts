/**
 * `deno task loadtest`: creates N Databases, follows them to Ready with a
 * watch, and reports wall time, throughput, time-to-Ready percentiles,
 * pgop's requests (cross-checked with the API server's), writes per
 * Database, CPU, memory, queue depth and a steady-state window — or, with
 * `--mode floor`, the same for a minimal writer, the floor pgop is compared
 * with. See `--help` and bench/README.md.
 *
 *   deno run -A bench/loadtest.ts -n 100 --steady-seconds 10
 *
 * @module
 */
import { parseLoadtestOptions, USAGE, UsageError } from "./loadtest/options.ts";
import { runLoadtest } from "./loadtest/runner.ts";

async function main(): Promise<number> {
  let options;
  try {
    options = parseLoadtestOptions(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`loadtest: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const { report, outDir, summary } = await runLoadtest(options);
  console.log(summary);
  console.log(`\nreport: ${outDir}/report.json  chart: ${outDir}/chart.svg`);
  return report.complete ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`loadtest: ${error instanceof Error ? error.stack ?? error.message : error}`);
    Deno.exit(1);
  }
}
