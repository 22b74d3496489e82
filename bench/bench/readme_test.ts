import assert from "node:assert/strict";
import { renderBench } from "./readme.ts";
import { machine, results } from "./fixtures.ts";

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
