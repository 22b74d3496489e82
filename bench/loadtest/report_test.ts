import assert from "node:assert/strict";
import { parseLoadtestOptions } from "./options.ts";
import { buildReport, type RawRun } from "./report.ts";
import { formatSummary } from "./summary.ts";

const options = parseLoadtestOptions(["-n", "2"]);
if (options === "help") throw new Error("unreachable");

const raw: RawRun = {
  options,
  runId: "abc",
  startedAt: "2026-01-01T00:00:00Z",
  machine: { nproc: 2, memoryBytes: 2 ** 30, os: "linux/x86_64", deno: "2", v8: "1", loadavg: [1] },
  system: { kind: "pgop", label: "pgop (child process)", resourceNote: "child" },
  syncMs: 500,
  creationMs: 100,
  allReadyMs: 4000,
  databases: [
    { createdMs: 0, firstStatusMs: 1000, readyMs: 3000 },
    { createdMs: 100, firstStatusMs: 1100, readyMs: 4000 },
  ],
  requests: {
    start: { "list secrets": 1, "watch secrets": 1 },
    run: {
      "list secrets": 1,
      "watch secrets": 1,
      "create secrets": 2,
      "create services": 4,
      "create statefulsets.apps": 2,
      "apply databases.database.example.com": 4,
    },
    steady: {
      "list secrets": 1,
      "watch secrets": 2,
      "create secrets": 2,
      "create services": 4,
      "create statefulsets.apps": 2,
      "apply databases.database.example.com": 4,
    },
  },
  toolRequests: { "create databases.database.example.com": 2 },
  apiserver: {
    writes: {
      "POST secrets": 2,
      "POST services": 4,
      "POST statefulsets": 2,
      "POST databases": 2,
      "APPLY databases/status": 4,
    },
  },
  stats: {
    start: { reconciles: { success: 0, error: 0 }, cpuSeconds: 1, rssBytes: 100e6 },
    run: { reconciles: { success: 4, error: 1 }, cpuSeconds: 3, rssBytes: 120e6 },
    steady: {
      reconciles: { success: 4, error: 1 },
      cpuSeconds: 3.5,
      rssBytes: 121e6,
      peakRssBytes: 130e6,
    },
  },
  steadySeconds: 10,
  series: [
    { t: 0, created: 0, reconciled: 0, ready: 0, requests: 2, queueDepth: 0 },
    { t: 1, created: 2, reconciled: 1, ready: 0, requests: 10, queueDepth: 2 },
  ],
  outcome: "ready",
};

Deno.test("buildReport() computes timing, per-Database requests, work and the steady window", () => {
  const r = buildReport(raw);
  assert.equal(r.complete, true);
  assert.equal(r.timing.allReadySeconds, 4);
  assert.equal(r.timing.throughput, 0.5);
  assert.deepEqual(r.timing.timeToReady && [r.timing.timeToReady.p50, r.timing.timeToReady.max], [
    3,
    3.9,
  ]);
  assert.equal(r.timing.timeToFirstStatus?.p99, 1);
  assert.equal(r.requests.run.totals.writes, 12);
  assert.equal(r.requests.run.writesPerDatabase, 6);
  assert.deepEqual(r.requests.steady.byVerbResource, { "watch secrets": 1 });
  assert.equal(r.requests.steady.totals.watches, 1);
  assert.equal(r.work.reconciles, 5);
  assert.equal(r.work.errors, 1);
  assert.equal(r.work.peakQueueDepth, 2);
  assert.equal(r.work.cpuSecondsRun, 2);
  assert.equal(r.work.cpuSecondsSteady, 0.5);
  assert.equal(r.work.peakRssBytes, 130e6);
  assert.deepEqual(r.targets.map((t) => t.met), [true, true, true]);
  assert.ok("comparison" in r.apiserver);
  if ("comparison" in r.apiserver) {
    assert.ok(r.apiserver.comparison.every((c) => c.other === 0));
  }
});

Deno.test("buildReport() leaves the targets unmeasured for an external pgop and marks an incomplete run", () => {
  const r = buildReport({
    ...raw,
    system: { ...raw.system, kind: "external" },
    allReadyMs: undefined,
    outcome: "stalled",
  });
  assert.equal(r.complete, false);
  assert.equal(r.timing.throughput, undefined);
  assert.deepEqual(r.targets.map((t) => t.met), [undefined, undefined, undefined]);
});

Deno.test("formatSummary() prints the headline figures and the cross-check", () => {
  const text = formatSummary(buildReport(raw));
  assert.match(text, /all Ready after +4\.00 s/);
  assert.match(text, /writes per Database +6\.00/);
  assert.match(text, /APPLY databases +4 +0 +4 +0 +\(\/status 4\)/);
  assert.match(text, /writes per Database <= 12: 6\.00 {2}met/);
});
