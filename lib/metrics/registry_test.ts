import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { FifoWorkQueue } from "../queue/work_queue.ts";
import { RECONCILE_BUCKETS, RECONCILE_RESULTS } from "./names.ts";
import { PgopMetrics } from "./registry.ts";

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the exposition's sample lines (label values here never hold quotes or commas). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? "").split(",").filter(Boolean)) {
      const eq = pair.indexOf("=");
      labels[pair.slice(0, eq)] = JSON.parse(pair.slice(eq + 1));
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function find(all: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return all.filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
}

function value(all: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = find(all, name, labels);
  assert.equal(found.length, 1, `one sample of ${name} ${JSON.stringify(labels)}`);
  return found[0].value;
}

Deno.test("PgopMetrics exposes every reconcile result at zero before the first reconcile", async () => {
  const all = samples(await new PgopMetrics().text());
  for (const result of RECONCILE_RESULTS) {
    assert.equal(value(all, "database_reconcile_total", { result }), 0);
    assert.equal(value(all, "database_reconcile_duration_seconds_count", { result }), 0);
    const les = find(all, "database_reconcile_duration_seconds_bucket", { result })
      .map((s) => s.labels.le);
    assert.deepEqual(les, [...RECONCILE_BUCKETS.map(String), "+Inf"]);
  }
  assert.deepEqual(RECONCILE_BUCKETS, [.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10]);
  assert.equal(value(all, "database_reconcile_queue_depth"), 0);
});

Deno.test("PgopMetrics.observeReconcile() counts and times by result", async () => {
  const m = new PgopMetrics();
  m.observeReconcile("success", 0.003);
  m.observeReconcile("success", 0.2);
  m.observeReconcile("terminal", 0);
  m.setReconcileQueueDepth(7);
  const all = samples(await m.text());
  assert.equal(value(all, "database_reconcile_total", { result: "success" }), 2);
  assert.equal(value(all, "database_reconcile_total", { result: "terminal" }), 1);
  assert.equal(value(all, "database_reconcile_total", { result: "error" }), 0);
  assert.equal(value(all, "database_reconcile_duration_seconds_sum", { result: "success" }), 0.203);
  assert.equal(
    value(all, "database_reconcile_duration_seconds_bucket", { result: "success", le: "0.005" }),
    1,
  );
  assert.equal(value(all, "database_reconcile_queue_depth"), 7);
});

Deno.test("PgopMetrics.observeReconcile() rejects unknown results and bad durations", () => {
  const m = new PgopMetrics();
  assert.throws(() => m.observeReconcile("maybe" as "success", 1), RangeError);
  assert.throws(() => m.observeReconcile("success", -1), RangeError);
  assert.throws(() => m.observeReconcile("success", NaN), RangeError);
});

Deno.test("PgopMetrics.observeRequest() counts by code, verb and resource", async () => {
  const m = new PgopMetrics();
  const secrets = { verb: "get", resource: "secrets" };
  m.observeRequest({ ...secrets, code: 200, durationMs: 250, waitedMs: 0 });
  m.observeRequest({ ...secrets, code: 200, durationMs: 500, waitedMs: 250 });
  m.observeRequest({ verb: "apply", resource: "statefulsets.apps", code: 409, durationMs: 5 });
  const all = samples(await m.text());
  const ok = { code: "200", method: "get", resource: "secrets" };
  assert.equal(value(all, "rest_client_requests_total", ok), 2);
  assert.equal(
    value(all, "rest_client_requests_total", { code: "409", method: "apply" }),
    1,
  );
  assert.equal(value(all, "rest_client_request_duration_seconds_count", secrets), 2);
  assert.equal(value(all, "rest_client_request_duration_seconds_sum", secrets), 0.75);
  assert.equal(value(all, "rest_client_rate_limiter_duration_seconds_count", { verb: "get" }), 2);
  assert.equal(value(all, "rest_client_rate_limiter_duration_seconds_sum", { verb: "get" }), 0.25);
  // Without waitedMs the rate-limiter histogram is left alone.
  assert.equal(
    find(all, "rest_client_rate_limiter_duration_seconds_count", { verb: "apply" }).length,
    0,
  );
  assert.throws(() => m.observeRequest({ ...secrets, code: 200, durationMs: -1 }), RangeError);
});

Deno.test("PgopMetrics.forQueue() reports a work queue under both name and controller", async () => {
  const clock = new FakeClock();
  const m = new PgopMetrics({ clock });
  const q = new FifoWorkQueue<string>({ name: "database", clock, metrics: m });
  const labels = { name: "database", controller: "database" };
  let all = samples(await m.text());
  assert.equal(value(all, "workqueue_adds_total", labels), 0);
  assert.equal(value(all, "workqueue_retries_total", labels), 0);
  assert.equal(value(all, "workqueue_queue_duration_seconds_count", labels), 0);
  const les = find(all, "workqueue_queue_duration_seconds_bucket", labels).map((s) => s.labels.le);
  const expected = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000];
  assert.deepEqual(les, [...expected.map(String), "+Inf"]);

  q.add("a/x");
  q.add("a/y");
  await clock.advance(2000);
  const key = await q.get();
  assert.equal(key, "a/x");
  await clock.advance(500);
  all = samples(await m.text());
  assert.equal(value(all, "workqueue_adds_total", labels), 2);
  assert.equal(value(all, "workqueue_depth", labels), 1);
  assert.equal(value(all, "workqueue_queue_duration_seconds_sum", labels), 2);
  assert.equal(value(all, "workqueue_unfinished_work_seconds", labels), 0.5);
  assert.equal(value(all, "workqueue_longest_running_processor_seconds", labels), 0.5);

  q.done("a/x");
  all = samples(await m.text());
  assert.equal(value(all, "workqueue_work_duration_seconds_sum", labels), 0.5);
  assert.equal(value(all, "workqueue_longest_running_processor_seconds", labels), 0);
  q.shutDown();
});

Deno.test("PgopMetrics.forCache() reports per resource", async () => {
  const m = new PgopMetrics();
  const cache = m.forCache("statefulsets.apps");
  let all = samples(await m.text());
  const resource = { resource: "statefulsets.apps" };
  assert.equal(value(all, "pgop_cache_objects", resource), 0);
  assert.equal(value(all, "pgop_cache_relists_total", resource), 0);
  assert.equal(value(all, "pgop_cache_watch_restarts_total", resource), 0);
  cache.relist();
  cache.objects(42);
  cache.synced(1_700_000_000_500);
  cache.event("ADDED");
  cache.event("ADDED");
  cache.event("DELETED");
  cache.watchRestart();
  all = samples(await m.text());
  assert.equal(value(all, "pgop_cache_objects", resource), 42);
  assert.equal(value(all, "pgop_cache_relists_total", resource), 1);
  assert.equal(value(all, "pgop_cache_watch_restarts_total", resource), 1);
  assert.equal(value(all, "pgop_cache_last_sync_timestamp_seconds", resource), 1_700_000_000.5);
  assert.equal(value(all, "pgop_cache_events_total", { ...resource, type: "ADDED" }), 2);
  assert.equal(value(all, "pgop_cache_events_total", { ...resource, type: "DELETED" }), 1);
});

Deno.test("PgopMetrics reads leader status and phase counts", async () => {
  const m = new PgopMetrics();
  let ready = 3;
  m.setLeader("pgop", true);
  m.setPhaseCounter(() => ({ Pending: 1, Ready: ready }));
  let all = samples(await m.text());
  assert.equal(value(all, "leader_election_master_status", { name: "pgop" }), 1);
  assert.equal(value(all, "pgop_databases", { phase: "Ready" }), 3);
  assert.equal(value(all, "pgop_databases", { phase: "Pending" }), 1);
  ready = 5;
  m.setLeader("pgop", false);
  all = samples(await m.text());
  assert.equal(value(all, "pgop_databases", { phase: "Ready" }), 5);
  assert.equal(value(all, "leader_election_master_status", { name: "pgop" }), 0);
});

Deno.test("PgopMetrics reports process metrics from Deno, not zeros", async () => {
  const all = samples(await new PgopMetrics().text());
  assert.ok(value(all, "process_resident_memory_bytes") > 0);
  assert.ok(value(all, "pgop_heap_used_bytes") > 0);
  assert.ok(value(all, "pgop_heap_total_bytes") > 0);
  assert.ok(value(all, "process_cpu_seconds_total") > 0);
  assert.ok(value(all, "process_start_time_seconds") > 1_600_000_000);
  assert.equal(value(all, "pgop_event_loop_lag_seconds"), 0);
});

Deno.test("PgopMetrics instances have separate registries", async () => {
  const a = new PgopMetrics();
  const b = new PgopMetrics();
  a.observeReconcile("error", 1);
  assert.equal(value(samples(await b.text()), "database_reconcile_total", { result: "error" }), 0);
  assert.match(a.contentType, /^text\/plain/);
});

Deno.test("PgopMetrics.startRuntimeProbes() runs one timer until the signal aborts", async () => {
  const clock = new FakeClock();
  const m = new PgopMetrics({ clock });
  const stop = new AbortController();
  m.startRuntimeProbes(stop.signal);
  m.startRuntimeProbes(stop.signal);
  assert.equal(clock.pendingTimers, 1);
  await clock.advance(1200);
  assert.equal(m.eventLoopLagSeconds(), 0);
  stop.abort();
  assert.equal(clock.pendingTimers, 0);
});
