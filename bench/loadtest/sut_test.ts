import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { parsePromText } from "../../tests/support/prometheus_text.ts";
import { sampleFromPgopMetrics, statsFromPgopMetrics, timedStop } from "./sut.ts";

Deno.test("timedStop() reports the time a stop took", async () => {
  const clock = new FakeClock();
  let finish: () => void = () => {};
  let result: unknown;
  timedStop(() => new Promise((r) => (finish = r)), () => assert.fail("not stuck"), { clock })
    .then((r) => (result = r));
  await clock.advance(2_000);
  finish();
  await clock.advance(0);
  assert.deepEqual(result, { seconds: 2, stuck: false });
});

Deno.test("timedStop() gives up after the grace period and calls onStuck", async () => {
  const clock = new FakeClock();
  let killed = false;
  let result: unknown;
  timedStop(() => new Promise(() => {}), () => (killed = true), { clock, graceMs: 15_000 })
    .then((r) => (result = r));
  await clock.advance(14_999);
  assert.equal(result, undefined);
  await clock.advance(1);
  assert.deepEqual(result, { seconds: 15, stuck: true });
  assert.ok(killed);
});

Deno.test("statsFromPgopMetrics() and sampleFromPgopMetrics() read pgop's scrape", () => {
  const samples = parsePromText(`database_reconcile_total{result="success"} 8
database_reconcile_total{result="error"} 2
database_reconcile_duration_seconds_bucket{result="success",le="0.01"} 10
database_reconcile_duration_seconds_bucket{result="success",le="+Inf"} 10
database_reconcile_queue_depth 4
rest_client_requests_total{code="201",method="create",resource="secrets"} 7
process_cpu_seconds_total 1.5
process_resident_memory_bytes 1000
pgop_cache_objects{resource="secrets"} 3
`);
  assert.deepEqual(sampleFromPgopMetrics(samples), { queueDepth: 4, requests: 7, rssBytes: 1000 });
  const stats = statsFromPgopMetrics(samples);
  assert.deepEqual(stats.reconciles, { success: 8, error: 2 });
  assert.equal(stats.reconcileSeconds?.p50, 0.005);
  assert.equal(stats.cpuSeconds, 1.5);
  assert.equal(stats.heapUsedBytes, undefined);
  assert.deepEqual(stats.cacheObjects, { secrets: 3 });
});
