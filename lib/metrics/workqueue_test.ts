import assert from "node:assert/strict";
import { Registry } from "prom-client";
import type { WorkQueueProbe } from "../queue/queue_metrics.ts";
import { WorkQueueMetricSet } from "./workqueue.ts";

function probe(name: string, unfinishedMs: number): WorkQueueProbe {
  return { name, unfinishedWorkMs: () => unfinishedMs, longestRunningMs: () => unfinishedMs };
}

Deno.test("WorkQueueMetricSet.forQueue() lets a re-created queue replace its probe", async () => {
  const registry = new Registry();
  const set = new WorkQueueMetricSet(registry);
  set.forQueue(probe("db", 1000)).add("k");
  const again = set.forQueue(probe("db", 3000));
  again.add("k");
  again.retry("k");
  const text = await registry.metrics();
  assert.match(text, /^workqueue_adds_total\{name="db",controller="db"\} 2$/m);
  assert.match(text, /^workqueue_retries_total\{name="db",controller="db"\} 1$/m);
  assert.match(text, /^workqueue_unfinished_work_seconds\{name="db",controller="db"\} 3$/m);
});

Deno.test("WorkQueueMetricSet keeps queues apart by name", async () => {
  const registry = new Registry();
  const set = new WorkQueueMetricSet(registry);
  set.forQueue(probe("a", 0)).depth(4);
  set.forQueue(probe("b", 0)).depth(9);
  const text = await registry.metrics();
  assert.match(text, /^workqueue_depth\{name="a",controller="a"\} 4$/m);
  assert.match(text, /^workqueue_depth\{name="b",controller="b"\} 9$/m);
});

Deno.test("WorkQueueMetricSet.forQueue() rejects a queue without a name", () => {
  const set = new WorkQueueMetricSet(new Registry());
  assert.throws(() => set.forQueue(probe("", 0)), RangeError);
});
