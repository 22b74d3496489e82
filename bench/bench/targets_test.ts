import assert from "node:assert/strict";
import { benchTargets, readyRatio } from "./targets.ts";
import { results } from "./fixtures.ts";

Deno.test("readyRatio() divides pgop's all-Ready time by the floor's", () => {
  assert.equal(readyRatio(results.sizes[0]), 1.3);
  assert.equal(readyRatio(results.sizes[1]), undefined);
});

Deno.test("benchTargets() checks each of the issue's targets", () => {
  assert.deepEqual(
    benchTargets(results).map((t) => [t.name, t.met]),
    [
      ["N=1,000 all Ready within 1.3× of the floor", true],
      ["at most 6 writes per Database", true],
      ["zero writes and reads in the steady-state window", true],
      ["cold start to synced cache with 10,000 Databases < 3 s", true],
      ["RSS with 10,000 Databases and children cached < 120 MB", false],
    ],
  );
  assert.equal(benchTargets({ ...results, sizes: [] })[0].met, undefined);
});
