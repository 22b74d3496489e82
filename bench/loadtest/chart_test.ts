import assert from "node:assert/strict";
import { niceTicks, requestRate, runChart } from "./chart.ts";

Deno.test("niceTicks() covers the maximum in steps of 1, 2 or 5 × 10^k", () => {
  assert.deepEqual(niceTicks(100), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(7), [0, 2, 4, 6, 8]);
  assert.deepEqual(niceTicks(0.3), [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(niceTicks(0), [0, 1]);
});

Deno.test("requestRate() divides request growth by time over a window", () => {
  const p = (t: number, requests: number) => ({ t, requests, created: 0, reconciled: 0, ready: 0 });
  assert.deepEqual(requestRate([p(0, 0), p(1, 10), p(2, 30)], 1), [[1, 10], [2, 20]]);
  assert.deepEqual(requestRate([p(0, 0), p(1, 10), p(2, 30)], 4), [[1, 10], [2, 15]]);
});

Deno.test("runChart() writes an SVG document with three panels and escaped text", () => {
  const svg = runChart([
    { t: 0, created: 0, reconciled: 0, ready: 0, requests: 0, queueDepth: 0 },
    { t: 1, created: 10, reconciled: 5, ready: 2, requests: 40, queueDepth: 3 },
  ], "run <1>");
  assert.ok(svg.startsWith("<svg xmlns="));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.ok(svg.includes("run &lt;1&gt;"));
  assert.equal((svg.match(/<path /g) ?? []).length, 5);
});
