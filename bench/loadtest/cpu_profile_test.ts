import assert from "node:assert/strict";
import { type CpuProfile, hotFunctions } from "./cpu_profile.ts";

const frame = (functionName: string, url = "", lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
});

Deno.test("hotFunctions() sums self time per function, leaves out idle, and sorts", () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)") },
      { id: 2, callFrame: frame("parse", "file:///repo/lib/a.ts", 9) },
      { id: 3, callFrame: frame("(idle)") },
      { id: 4, callFrame: frame("(garbage collector)") },
    ],
    samples: [2, 3, 2, 4, 2],
    timeDeltas: [0, 1000, 3000, 1000, 1000, 0],
    startTime: 0,
    endTime: 6000,
  };
  assert.deepEqual(hotFunctions(profile, 5, "file:///repo/"), [
    { where: "parse (lib/a.ts:10)", selfMs: 2, share: 2 / 3 },
    { where: "(garbage collector)", selfMs: 1, share: 1 / 3 },
  ]);
});

Deno.test("hotFunctions() returns nothing for a profile without samples", () => {
  assert.deepEqual(hotFunctions({ nodes: [], startTime: 0, endTime: 0 }), []);
});
