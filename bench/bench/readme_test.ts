import assert from "node:assert/strict";
import type { LoadtestReport } from "../loadtest/report.ts";
import { type BenchResults, renderBench } from "./readme.ts";

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

Deno.test("renderBench() shows the ratio, the cold start and memory per cached object", () => {
  const text = renderBench(results);
  assert.match(text, /\| 1000 \| 130\.0 s \| 100\.0 s \| \*\*1\.30×\*\* \|/);
  assert.match(text, /\| 10000 \| 50000 \| 2\.50 s \|/);
  assert.match(text, /\| 1\.0 KiB \/ – \|/);
  assert.match(text, /RSS with 10,000 .*\*\*missed\*\*/);
  assert.doesNotMatch(text, /Caution/);
  const busy = renderBench({ ...results, machine: { ...machine, loadavg: [6, 5, 4] } });
  assert.match(busy, /\*\*Caution:\*\* some runs started with a 1-minute load average of 6 on 2/);
});
