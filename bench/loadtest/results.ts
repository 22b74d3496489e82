/**
 * The files a run leaves in its out directory: `report.json`, `chart.svg`
 * and `summary.txt`.
 *
 * @module
 */
import { join } from "node:path";
import { runChart } from "./chart.ts";
import type { LoadtestReport } from "./report.ts";
import { formatSummary } from "./summary.ts";

/** Writes the three files and returns the summary text. */
export async function writeResults(outDir: string, report: LoadtestReport): Promise<string> {
  const summary = formatSummary(report);
  await Deno.writeTextFile(join(outDir, "report.json"), JSON.stringify(report, null, 1) + "\n");
  await Deno.writeTextFile(
    join(outDir, "chart.svg"),
    runChart(report.series, `${report.system}: ${report.n} Databases (run ${report.runId})`),
  );
  await Deno.writeTextFile(join(outDir, "summary.txt"), summary + "\n");
  return summary;
}
