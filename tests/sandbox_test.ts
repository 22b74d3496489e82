/**
 * The image's sandbox, for real: main.ts runs with the Dockerfile's
 * permissions and deploy/'s arguments against the real API server and
 * reconciles a Database to Ready; and inside that very process (a module
 * preloaded before main.ts, tests/support/sandbox_probe.ts), reading a file
 * outside pgop's list, writing, running a program, opening libc, reading
 * other environment variables and connecting elsewhere are all refused.
 *
 * Outside a pod three things differ, and only those are changed: the API
 * server's address is added to `--allow-net` (in a pod it is
 * kubernetes.default.svc:443), so is each listen address (a test cannot take
 * the pod's fixed 8443 and 8081 on a shared machine), and the kubeconfig's
 * path is added to `--allow-read` (a pod uses its service account). The image
 * itself cannot be built here (README, "Deploying"); `deno compile` embeds
 * the same flags, and Deno checks them the same way.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withCluster } from "./support/cluster.ts";
import { deploymentArgs, withAddresses } from "./support/deployment_args.ts";
import { dockerfilePermissions } from "./support/dockerfile.ts";
import { PgopChild } from "./support/pgop_child.ts";
import { applyDatabases, databaseManifest, installCrd } from "./support/pgop.ts";
import { hostPort, PGOP_ENV } from "./support/pgop_runtime.ts";
import { insecureGet } from "./support/insecure_https.ts";
import { freePorts } from "./support/ports.ts";
import { parseExposition, valueOf } from "./support/prometheus_text.ts";
import { createServiceAccount, installRbac } from "./support/service_account.ts";
import { waitUntil } from "./support/wait.ts";

const PROBE = new URL("./support/sandbox_probe.ts", import.meta.url).pathname;

/** The Dockerfile's permissions with `net` and `read` entries added. */
async function imagePermissions(add: { net: string[]; read: string[] }): Promise<string[]> {
  const flags = await dockerfilePermissions();
  assert.deepEqual(flags.map((f) => f.replace(/=.*/, "")).sort(), [
    "--allow-env",
    "--allow-net",
    "--allow-read",
    "--allow-sys",
  ]);
  return flags.map((f) =>
    f.startsWith("--allow-net=")
      ? `${f},${add.net.join(",")}`
      : f.startsWith("--allow-read=")
      ? `${f},${add.read.join(",")}`
      : f
  );
}

Deno.test("main.ts in the image's sandbox reconciles, and its process can do nothing else", async () => {
  await withCluster({}, async (cluster) => {
    await installCrd(cluster);
    const dir = await Deno.makeTempDir({ prefix: "pgop-sandbox-test-" });
    try {
      const outside = join(dir, "outside.txt");
      await Deno.writeTextFile(outside, "not for pgop");
      const [metricsPort, healthPort] = freePorts(2);
      const listen = [`127.0.0.1:${metricsPort}`, `127.0.0.1:${healthPort}`];
      const permissions = await imagePermissions({
        net: [hostPort(cluster.server), ...listen],
        read: [cluster.kubeconfigPath],
      });
      const args = withAddresses(await deploymentArgs(), {
        metrics: listen[0],
        health: listen[1],
      });
      assert.ok(args.includes("--metrics-secure"), `deploy/ serves metrics securely: ${args}`);
      await using pgop = PgopChild.start([
        `--kubeconfig=${cluster.kubeconfigPath}`,
        ...args.filter((a) => a !== "--leader-elect"),
        // The Lease in a namespace that exists here; the identity from Deno.hostname().
        "--leader-elect",
        "--leader-election-namespace=default",
      ], {
        permissions,
        denoFlags: [`--preload=${PROBE}`],
        env: { PGOP_PROBE_FILE: outside },
        unset: ["HOSTNAME"],
      });

      const probeLine = await pgop.waitForLine(/"sandboxProbe"/);
      const probe: Record<string, string> = JSON.parse(probeLine).sandboxProbe;
      assert.deepEqual(probe, {
        readOutside: "NotCapable",
        readEtcPasswd: "NotCapable",
        write: "NotCapable",
        run: "NotCapable",
        nodeChildProcess: "NotCapable",
        ffiLibc: "NotCapable",
        envPath: "NotCapable",
        envAll: "NotCapable",
        connectElsewhere: "NotCapable",
        sysNetworkInterfaces: "NotCapable",
        sysOsRelease: "NotCapable",
      });

      await pgop.waitForLine(/Serving metrics over HTTPS/);
      await pgop.waitForLine(/Serving health probes on/);
      const name = "sandbox-db-1";
      await applyDatabases(cluster, [databaseManifest(name)]);
      await waitUntil("the Database is Ready", async () => {
        const db = JSON.parse(await cluster.kubectl(["get", "database", name, "-o", "json"]));
        return db.status?.phase === "Ready";
      }, { timeoutMs: 90_000 });
      const ready = await fetch(`http://${listen[1]}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
      // The secure endpoint answers over TLS with a certificate made inside the
      // sandbox, and refuses a scrape without a token.
      const scrape = await insecureGet(`https://${listen[0]}/metrics`);
      assert.equal(scrape.status, 401, scrape.body);
      // A token with pgop-metrics-reader gets real process figures, read within the sandbox.
      const readerToken = async () => {
        await installRbac(cluster);
        return await createServiceAccount(cluster, "reader", {
          clusterRole: "pgop-metrics-reader",
        });
      };
      const reader = await insecureGet(`https://${listen[0]}/metrics`, {
        Authorization: `Bearer ${await readerToken()}`,
      });
      assert.equal(reader.status, 200, reader.body);
      const metrics = parseExposition(reader.body);
      assert.ok((valueOf(metrics, "process_resident_memory_bytes") ?? 0) > 0);
      assert.ok((valueOf(metrics, "process_cpu_seconds_total") ?? 0) > 0);
      assert.equal(valueOf(metrics, "leader_election_master_status", { name: "pgop-leader" }), 1);
      // The Lease names the real host (Deno.hostname(), the one sys permission), not "pgop".
      const lease = JSON.parse(
        await cluster.kubectl(["get", "lease", "pgop-leader", "-n", "default", "-o", "json"]),
      );
      const host = Deno.hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      assert.match(lease.spec.holderIdentity, new RegExp(`^${host}_[0-9a-f]{8}$`));
      pgop.kill("SIGTERM");
      const exit = await pgop.exited(15_000);
      assert.equal(exit.code, 0, pgop.stderr);
      assert.doesNotMatch(pgop.stderr.replace(probeLine, ""), /NotCapable|Requires \w+ access/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("deno task pgop: main.ts in a sandbox scoped to the kubeconfig's cluster", async () => {
  await withCluster({}, async (cluster) => {
    await installCrd(cluster);
    const root = new URL("../", import.meta.url).pathname;
    const task: string = JSON.parse(await Deno.readTextFile(join(root, "deno.json"))).tasks.pgop;
    // The task's own flags, run directly so that this test holds the launcher's pid.
    const [, ...taskArgs] = task.split(" ");
    const launcher = new Deno.Command(Deno.execPath(), {
      args: [
        ...taskArgs,
        `--kubeconfig=${cluster.kubeconfigPath}`,
        "--metrics-address=127.0.0.1:0",
        "--health-probe-address=127.0.0.1:0",
        "--log-format=json",
      ],
      cwd: root,
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // The cluster's reaper kills it (and, below, pgop) should this test runner die.
    await Deno.writeTextFile(join(cluster.dir, "pids"), `${launcher.pid}\n`, { append: true });
    let stderr = "";
    const reading = (async () => {
      for await (const chunk of launcher.stderr.pipeThrough(new TextDecoderStream())) {
        stderr += chunk;
      }
    })();
    try {
      await waitUntil("pgop's caches synced", () => stderr.includes("Caches synced"), {
        timeoutMs: 60_000,
      });
      const children = await Deno.readTextFile(
        `/proc/${launcher.pid}/task/${launcher.pid}/children`,
      );
      const [pgopPid] = children.trim().split(/\s+/);
      await Deno.writeTextFile(join(cluster.dir, "pids"), `${pgopPid}\n`, { append: true });
      const argv = (await Deno.readTextFile(`/proc/${pgopPid}/cmdline`)).split("\0");
      const permissions = argv.filter((a) => a.startsWith("--allow-"));
      assert.deepEqual(permissions.sort(), [
        `--allow-env=${PGOP_ENV.join(",")}`,
        `--allow-net=${hostPort(cluster.server)},127.0.0.1:0,127.0.0.1:0`,
        `--allow-read=${cluster.kubeconfigPath}`,
        "--allow-sys=hostname",
      ]);
    } finally {
      launcher.kill("SIGTERM");
      const status = await launcher.status;
      await reading;
      assert.equal(status.code, 0, stderr);
    }
    assert.match(stderr, /"pgop stopped"/);
  });
});
