import assert from "node:assert/strict";
import { environmentOf, namespaceNames, newRunId, planDatabases, RUN_LABEL } from "./plan.ts";

Deno.test("planDatabases() names, labels and spreads Databases round-robin", () => {
  const dbs = planDatabases({
    runId: "abc123",
    count: 4,
    namespaces: ["n0", "n1"],
    envMix: [{ env: "production", weight: 0.5 }, { env: "staging", weight: 0.5 }],
  });
  assert.deepEqual(dbs.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`), [
    "n0/lt-abc123-0",
    "n1/lt-abc123-1",
    "n0/lt-abc123-2",
    "n1/lt-abc123-3",
  ]);
  assert.deepEqual(dbs.map((d) => d.spec.environment), [
    "production",
    "production",
    "staging",
    "staging",
  ]);
  assert.equal(dbs[0].metadata?.labels?.[RUN_LABEL], "abc123");
});

Deno.test("planDatabases() rejects a bad run id and no namespaces", () => {
  const base = { count: 1, namespaces: ["n"], envMix: [{ env: "p", weight: 1 }] };
  assert.throws(() => planDatabases({ ...base, runId: "Bad_id" }), RangeError);
  assert.throws(() => planDatabases({ ...base, runId: "ok", namespaces: [] }), RangeError);
});

Deno.test("environmentOf() gives each share its exact part of the range", () => {
  const mix = [{ env: "a", weight: 0.25 }, { env: "b", weight: 0.75 }];
  const envs = Array.from({ length: 100 }, (_, i) => environmentOf(i, 100, mix));
  assert.equal(envs.filter((e) => e === "a").length, 25);
  assert.equal(envs.filter((e) => e === "b").length, 75);
});

Deno.test("namespaceNames() and newRunId() make valid names", () => {
  assert.deepEqual(namespaceNames(2), ["pgop-loadtest-0", "pgop-loadtest-1"]);
  assert.throws(() => namespaceNames(0), RangeError);
  assert.match(newRunId(), /^[a-z0-9]{6}$/);
  assert.equal(newRunId(() => 0), "aaaaaa");
});
