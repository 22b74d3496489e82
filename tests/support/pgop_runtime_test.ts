import assert from "node:assert/strict";
import { join } from "node:path";
import { parseConfig } from "../../lib/config.ts";
import {
  ANY_POD_POSTGRES,
  IN_CLUSTER,
  LAG_OBSERVER_OFF,
  localPermissions,
  PGOP_V8_FLAGS,
  pgopPermissions,
  pgopRunFlags,
  targetFor,
} from "./pgop_runtime.ts";
import { dockerfileFlags } from "./dockerfile.ts";

/** Flag name → value, for comparing recipes whatever the order. */
function byName(flags: readonly string[]): Map<string, string> {
  return new Map(flags.map((f) => [f.replace(/=.*/, ""), f.slice(f.indexOf("=") + 1)]));
}

Deno.test("the Dockerfile compiles pgop with the recipe's V8 flags and in-cluster permissions", async () => {
  const flags = await dockerfileFlags();
  assert.deepEqual(flags.filter((f) => f.startsWith("--v8-flags")), [
    `--v8-flags=${PGOP_V8_FLAGS}`,
  ]);
  assert.deepEqual(
    [...byName(flags.filter((f) => f.startsWith("--allow-")))].sort(),
    [...byName(pgopPermissions(IN_CLUSTER))].sort(),
  );
});

Deno.test("every recipe grants the same kinds of permission, each scoped, and never run, write or FFI", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const kubeconfig = join(dir, "config");
    await Deno.writeTextFile(
      kubeconfig,
      "clusters: [{name: c, cluster: {server: 'https://10.1.2.3:6443', certificate-authority: ca.crt}}]\n" +
        "users: [{name: u, user: {token-file: /run/token}}]\n" +
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
    );
    const config = parseConfig(["--kubeconfig", kubeconfig, LAG_OBSERVER_OFF], {});
    assert.ok(config !== "help");
    const dev = pgopPermissions(await targetFor(config, [kubeconfig]));
    assert.deepEqual(
      byName(dev),
      new Map([
        ["--allow-net", "10.1.2.3:6443,0.0.0.0:8080,0.0.0.0:8081"],
        ["--allow-read", `${kubeconfig},${join(dir, "ca.crt")},/run/token`],
        ["--allow-env", byName(pgopPermissions()).get("--allow-env") ?? ""],
        ["--allow-sys", "hostname"],
      ]),
    );
    const recipes = [pgopPermissions(IN_CLUSTER), dev, localPermissions(["--kubeconfig", "/k"])];
    for (const flags of recipes) {
      for (const flag of flags) {
        assert.match(flag, /^--allow-(net|read|env|sys)=\S+$/, flag);
      }
      const { "--allow-env": env, "--allow-sys": sys } = Object.fromEntries(byName(flags));
      assert.equal(env, byName(recipes[0]).get("--allow-env"));
      assert.equal(sys, "hostname");
    }
    assert.deepEqual(pgopRunFlags(dev).slice(1), dev);
    // With the lag observer on (the default), PostgreSQL's port on any IPv4 pod too.
    const observing = parseConfig(["--kubeconfig", kubeconfig], {});
    assert.ok(observing !== "help");
    assert.equal(
      byName(pgopPermissions(await targetFor(observing, [kubeconfig]))).get("--allow-net"),
      `10.1.2.3:6443,0.0.0.0:8080,0.0.0.0:8081,${ANY_POD_POSTGRES}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task pgop runs the sandboxing launcher, itself scoped", async () => {
  const root = new URL("../../", import.meta.url);
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).tasks;
  const pgop: string = tasks.pgop;
  assert.ok(pgop.endsWith(" tests/support/pgop_dev.ts"), pgop);
  assert.doesNotMatch(pgop, /--allow-(all|ffi|write|net)|\s-A\s|--allow-(env|run)(\s|$)/);
});
