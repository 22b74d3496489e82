import assert from "node:assert/strict";
import { benchTargets, readyRatio } from "./targets.ts";
import { results } from "./fixtures.ts";

Deno.test("readyRatio() takes pgop's all-Ready time over the floor's run by run", () => {
  assert.deepEqual(readyRatio(results.sizes[0]), { median: 1.2, min: 1.1, max: 1.3, count: 3 });
  assert.equal(readyRatio(results.sizes[1]), undefined);
});

Deno.test("benchTargets() checks each target against the medians and says by how much one is missed", () => {
  const targets = benchTargets(results);
  assert.deepEqual(targets.map((t) => [t.name, t.met]), [
    ["N=1,000 all Ready within 1.3× of the floor", true],
    ["at most 12 writes per Database", true],
    ["zero writes and reads in the steady-state window", true],
    ["cold start to synced cache with 10,000 Databases < 3 s", true],
    ["RSS with 10,000 Databases and children cached < 120 MB", false],
  ]);
  assert.equal(targets[0].value, "1.20× (1.10×–1.30×)");
  assert.equal(targets[4].by, "30.0 MB");
  assert.equal(benchTargets({ ...results, sizes: [] })[0].met, undefined);
});
