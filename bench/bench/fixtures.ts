/**
 * A small benchmark result shared by the tests of readme.ts and targets.ts.
 *
 * @module
 */
import type { LoadtestReport } from "../loadtest/report.ts";
import type { BenchResults } from "./readme.ts";

export const machine = {
  nproc: 2,
  memoryBytes: 2 ** 34,
  os: "linux/x86_64",
  deno: "2.9.6",
  v8: "14",
  loadavg: [0.5, 0.5, 0.5],
};

/** Only the fields the README reads. */
export function report(allReadySeconds: number, writesPerDatabase: number): LoadtestReport {
  const totals = { total: 0, writes: 0, reads: 0, watches: 0 };
  return {
    machine,
    timing: {
      allReadySeconds,
      throughput: 1000 / allReadySeconds,
      syncSeconds: 0,
      creationSeconds: 1,
    },
    requests: {
      run: { byVerbResource: {}, totals, writesPerDatabase, readsPerDatabase: 0 },
      steady: { byVerbResource: {}, totals, seconds: 30, reconciles: 0 },
      tool: { byVerbResource: {}, totals },
    },
    work: {
      reconciles: 2000,
      reconcilesPerDatabase: 2,
      byResult: {},
      errors: 0,
      peakQueueDepth: 10,
    },
  } as unknown as LoadtestReport;
}

export const results: BenchResults = {
  startedAt: "2026-01-01T00:00:00Z",
  machine,
  resultsDir: "bench/results/x",
  sizes: [
    { n: 1000, pgop: report(130, 6), floor: report(100, 6) },
    {
      n: 10_000,
      coldStart: {
        databases: 10_000,
        cachedObjects: 50_000,
        processToSyncedSeconds: 2.5,
        reconciles: 10_000,
        writes: 0,
        reads: 0,
        rssBytes: 150e6,
      },
      emptyRssBytes: 100e6,
    },
  ],
};
