import assert from "node:assert/strict";
import type { LoadtestReport } from "../loadtest/report.ts";
import type { BenchResults } from "./readme.ts";
import { benchTargets, readyRatio } from "./targets.ts";

const machine = {
  nproc: 2,
  memoryBytes: 2 ** 34,
  os: "linux/x86_64",
  deno: "2.9.6",
  v8: "14",
  loadavg: [0.5, 0.5, 0.5],
};

/** Only the fields the README reads. */
function report(allReadySeconds: number, writesPerDatabase: number): LoadtestReport {
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

const results: BenchResults = {
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

Deno.test("readyRatio() divides pgop's all-Ready time by the floor's", () => {
  assert.equal(readyRatio(results.sizes[0]), 1.3);
  assert.equal(readyRatio(results.sizes[1]), undefined);
});

Deno.test("benchTargets() checks each of the issue's targets", () => {
  assert.deepEqual(
    benchTargets(results).map((t) => [t.name, t.met]),
    [
      ["N=1,000 all Ready within 1.3× of the floor", true],
      ["at most 6 writes per Database", true],
      ["zero writes and reads in the steady-state window", true],
      ["cold start to synced cache with 10,000 Databases < 3 s", true],
      ["RSS with 10,000 Databases and children cached < 120 MB", false],
    ],
  );
  assert.equal(benchTargets({ ...results, sizes: [] })[0].met, undefined);
});
