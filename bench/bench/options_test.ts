import assert from "node:assert/strict";
import { UsageError } from "../loadtest/options.ts";
import { parseBenchOptions } from "./options.ts";

Deno.test("parseBenchOptions() defaults to 100 and 1,000 with a 30 s steady window", () => {
  assert.deepEqual(parseBenchOptions([]), {
    sizes: [100, 1000],
    coldSizes: [],
    runs: 3,
    floorWorkers: 16,
    steadySeconds: 30,
    pgopArgs: [],
    out: undefined,
    readme: true,
  });
});

Deno.test("parseBenchOptions() adds 10,000 with --big and drops cold sizes that are run anyway", () => {
  const o = parseBenchOptions([
    "--big",
    "--cold=10000,5000",
    "--pgop-args=--workers 16",
    "--no-readme",
  ]);
  assert.notEqual(o, "help");
  if (o === "help") return;
  assert.deepEqual(o.sizes, [100, 1000, 10_000]);
  assert.deepEqual(o.coldSizes, [5000]);
  assert.deepEqual(o.pgopArgs, ["--workers", "16"]);
  assert.equal(o.readme, false);
});

Deno.test("parseBenchOptions() rejects bad sizes and unknown flags", () => {
  assert.throws(() => parseBenchOptions(["--sizes=10,x"]), UsageError);
  assert.throws(() => parseBenchOptions(["--steady-seconds=-1"]), UsageError);
  assert.throws(() => parseBenchOptions(["--runs=0"]), UsageError);
  assert.throws(() => parseBenchOptions(["--fast"]), UsageError);
  assert.equal(parseBenchOptions(["-h"]), "help");
});
