import assert from "node:assert/strict";
import { parseEnvMix, parseLoadtestOptions, UsageError } from "./options.ts";

Deno.test("parseLoadtestOptions() gives the documented defaults", () => {
  const o = parseLoadtestOptions([]);
  assert.notEqual(o, "help");
  if (o === "help") return;
  assert.equal(o.count, 100);
  assert.equal(o.namespaces, 1);
  assert.deepEqual(o.envMix, [{ env: "production", weight: 0.5 }, { env: "staging", weight: 0.5 }]);
  assert.equal(o.concurrency, 20);
  assert.equal(o.qps, 0);
  assert.equal(o.kubeconfig, undefined);
  assert.equal(o.pgop, "in-process");
  assert.deepEqual(o.pgopArgs, []);
  assert.equal(o.mode, "pgop");
  assert.equal(o.steadySeconds, 60);
  assert.equal(o.cleanup, true);
  assert.equal(o.floorWorkers, 8);
  assert.equal(o.timeoutSeconds, 620);
  assert.equal(o.stallSeconds, 60);
});

Deno.test("parseLoadtestOptions() reads every flag", () => {
  const o = parseLoadtestOptions([
    "-n",
    "1000",
    "--namespaces=4",
    "--env-mix",
    "a:1,b:3",
    "--concurrency=50",
    "--qps=100",
    "--kubeconfig=/k",
    "--pgop=child",
    "--pgop-args",
    " --workers 16  --kube-api-qps=200 ",
    "--mode=floor",
    "--steady-seconds=10",
    "--timeout=30",
    "--stall=20",
    "--out=/tmp/x",
    "--cpu-prof",
    "--no-cleanup",
  ]);
  assert.deepEqual(o, {
    count: 1000,
    namespaces: 4,
    envMix: [{ env: "a", weight: 0.25 }, { env: "b", weight: 0.75 }],
    concurrency: 50,
    qps: 100,
    kubeconfig: "/k",
    pgop: "child",
    pgopArgs: ["--workers", "16", "--kube-api-qps=200"],
    mode: "floor",
    steadySeconds: 10,
    out: "/tmp/x",
    cleanup: false,
    cpuProf: true,
    floorWorkers: 16,
    timeoutSeconds: 30,
    stallSeconds: 20,
    real: false,
  });
});

Deno.test("parseLoadtestOptions() takes --real for a real node", () => {
  const o = parseLoadtestOptions(["--real", "-n", "5"]);
  assert.ok(o !== "help" && o.real && o.count === 5);
  const kwok = parseLoadtestOptions([]);
  assert.ok(kwok !== "help" && !kwok.real);
});

Deno.test("parseLoadtestOptions() returns help for -h", () => {
  assert.equal(parseLoadtestOptions(["-h"]), "help");
});

Deno.test("parseLoadtestOptions() rejects bad values with UsageError", () => {
  for (
    const args of [
      ["-n", "0"],
      ["--count=x"],
      ["--pgop=thread"],
      ["--mode=fast"],
      ["--qps=-1"],
      ["--cpu-prof"],
      ["--unknown"],
      ["--floor-workers=0"],
      ["--real", "--kubeconfig=/k"],
    ]
  ) {
    assert.throws(() => parseLoadtestOptions(args), UsageError, args.join(" "));
  }
});

Deno.test("parseEnvMix() normalises weights and rejects malformed entries", () => {
  assert.deepEqual(parseEnvMix("prod:2"), [{ env: "prod", weight: 1 }]);
  assert.throws(() => parseEnvMix("prod"), UsageError);
  assert.throws(() => parseEnvMix("Prod:1"), UsageError);
  assert.throws(() => parseEnvMix("a:0"), UsageError);
  assert.throws(() => parseEnvMix(""), UsageError);
});
