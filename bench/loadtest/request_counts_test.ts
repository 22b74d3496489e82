import assert from "node:assert/strict";
import { parsePromText } from "../../tests/support/prometheus_text.ts";
import { countsFromMetrics, diffCounts, RequestCounter, totals } from "./request_counts.ts";

Deno.test("RequestCounter counts by verb and resource and snapshots a copy", () => {
  const counter = new RequestCounter();
  counter.record("create", "secrets");
  counter.record("create", "secrets");
  counter.record("watch", "databases.database.example.com");
  const snap = counter.snapshot();
  counter.record("get", "secrets");
  assert.deepEqual(snap, { "create secrets": 2, "watch databases.database.example.com": 1 });
  assert.equal(counter.total, 4);
});

Deno.test("diffCounts() subtracts per key and drops zeros", () => {
  assert.deepEqual(diffCounts({ a: 5, b: 2 }, { a: 1, b: 2 }), { a: 4 });
  assert.deepEqual(
    diffCounts({ "create secrets": 5, "list secrets": 1, "apply x": 2 }, {
      "create secrets": 2,
      "list secrets": 1,
    }),
    { "create secrets": 3, "apply x": 2 },
  );
});

Deno.test("totals() splits writes, reads and watches", () => {
  assert.deepEqual(
    totals({ "create a": 4, "apply b": 2, "get a": 1, "list b": 1, "watch a": 3 }),
    { total: 11, writes: 6, reads: 2, watches: 3 },
  );
});

Deno.test("countsFromMetrics() sums rest_client_requests_total over codes", () => {
  const samples = parsePromText(
    `rest_client_requests_total{code="201",method="create",resource="secrets"} 3
rest_client_requests_total{code="409",method="create",resource="secrets"} 1
rest_client_requests_total{code="200",method="watch",resource="secrets"} 1
other 5`,
  );
  assert.deepEqual(countsFromMetrics(samples), { "create secrets": 4, "watch secrets": 1 });
});
