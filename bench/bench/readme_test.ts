import assert from "node:assert/strict";
import { renderBench } from "./readme.ts";
import { machine, results } from "./fixtures.ts";

Deno.test("renderBench() shows medians with ranges, ratios run by run, and the commit", () => {
  const text = renderBench(results);
  assert.match(text, /Commit `abc1234`/);
  assert.match(
    text,
    /\| 1000 × 3 \| all Ready \| 120\.0 s \(110\.0 s–130\.0 s\) \| 100\.0 s \| \*\*1\.20× \(1\.10×–1\.30×\)\*\* \|/,
  );
  assert.match(
    text,
    /\| 1000 × 3 \| creation → all 7 children, p50 \| 0\.050 s \| 0\.050 s \| \*\*1\.00×\*\* \|/,
  );
  assert.match(text, /\| 1000 × 3 \| pgop CPU per 1,000 Databases \| 5\.00 s \| {2}\| {2}\|/);
  assert.match(text, /\| 10000 × 3 \| 50000 \| 2\.50 s \(2\.40 s–2\.60 s\) \|/);
  assert.match(text, /RSS with 10,000 .*\*\*missed\*\* by 30\.0 MB/);
  assert.doesNotMatch(text, /Busy machine/);
  const busy = renderBench({ ...results, machine: { ...machine, loadavg: [1.5, 1, 1] } });
  assert.match(busy, /^\*\*Busy machine:\*\* the run started with a 1-minute load average of 1\.5/);
});
