import assert from "node:assert/strict";
import * as names from "./names.ts";

const all = Object.entries(names)
  .filter(([, v]) => typeof v === "object" && v !== null && "name" in v && "help" in v)
  .map(([constant, v]) => ({ constant, ...(v as names.MetricName) }));

Deno.test("names.ts holds valid, distinct Prometheus metric names with help", () => {
  assert.ok(all.length >= 25);
  for (const { constant, name, help } of all) {
    assert.match(name, /^[a-z_][a-z0-9_]*$/, constant);
    assert.ok(help.length > 0, constant);
  }
  assert.equal(new Set(all.map((m) => m.name)).size, all.length);
});

Deno.test("names.ts counters end in _total and durations in _seconds", () => {
  for (const { name } of all) {
    if (name.includes("duration")) assert.match(name, /_seconds$/);
  }
  assert.match(names.RECONCILE_TOTAL.name, /_total$/);
  assert.match(names.WORKQUEUE_ADDS.name, /_total$/);
});

Deno.test("names.ts bucket lists are strictly increasing", () => {
  for (const buckets of [names.RECONCILE_BUCKETS, names.WORKQUEUE_BUCKETS, names.REST_BUCKETS]) {
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i] > buckets[i - 1]);
  }
});
