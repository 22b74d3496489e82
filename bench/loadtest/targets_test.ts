import assert from "node:assert/strict";
import { runTargets } from "./targets.ts";

const quiet = { total: 1, writes: 0, reads: 0, watches: 1 };

Deno.test("runTargets() meets at 6 writes per Database and an idle window", () => {
  assert.deepEqual(runTargets(true, 6, quiet, 10).map((t) => t.met), [true, true, true]);
});

Deno.test("runTargets() misses above 12 writes and on any write or read in the window", () => {
  const busy = { total: 2, writes: 1, reads: 1, watches: 0 };
  assert.deepEqual(runTargets(true, 12.01, busy, 10).map((t) => t.met), [false, false, false]);
});

Deno.test("runTargets() does not judge what was not measured", () => {
  assert.deepEqual(runTargets(false, 0, quiet, 10).map((t) => t.value), [
    undefined,
    undefined,
    undefined,
  ]);
  assert.deepEqual(runTargets(true, 6, quiet, 0).map((t) => t.met), [true, undefined, undefined]);
});
