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
    n: 1000,
    timing: {
      allReadySeconds,
      throughput: 1000 / allReadySeconds,
      syncSeconds: 0,
      creationSeconds: 1,
      timeToChildren: { count: 1000, p50: 0.05, p90: 0.1, p99: 0.2, max: 0.3, mean: 0.07 },
    },
    controlPlane: { apiserverCpuSeconds: 20, etcdWalBytesPerDatabase: 12_000, watchesHeld: 4 },
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
      cpuSecondsRun: 5,
    },
  } as unknown as LoadtestReport;
}

const cold = (processToSyncedSeconds: number, rssBytes: number) => ({
  databases: 10_000,
  cachedObjects: 50_000,
  processToSyncedSeconds,
  reconciles: 10_000,
  writes: 0,
  reads: 0,
  rssBytes,
});

export const results: BenchResults = {
  startedAt: "2026-01-01T00:00:00Z",
  commit: "abc1234",
  machine,
  resultsDir: "bench/results/x",
  sizes: [
    {
      n: 1000,
      pairs: [
        { pgop: report(130, 6), floor: report(100, 6), first: "floor" },
        { pgop: report(110, 6), floor: report(100, 6), first: "pgop" },
        { pgop: report(120, 6), floor: report(100, 6), first: "floor" },
      ],
    },
    {
      n: 10_000,
      pairs: [],
      coldStarts: [cold(2.5, 150e6), cold(2.4, 151e6), cold(2.6, 149e6)],
      emptyRssBytes: 100e6,
    },
  ],
};
