/**
 * pgop on a real kubelet node: a Database becomes a real PostgreSQL that a
 * client pod reaches with the Secret's `uri` as written (the Service's DNS
 * name), whose data survives a deleted pod and a scale to zero, which refuses
 * a wrong password, and which README's newcomer reaches with psql through
 * `kubectl port-forward`; a Database whose pod cannot start says why in its
 * status; deleting a Database removes its pods, claims and volumes.
 *
 * Needs root, cgroup v1 and the packages of `make setup`; skipped (with the
 * reason) where the machine has none of that.
 */
import assert from "node:assert/strict";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import type { Condition, Database } from "../lib/database/types.ts";
import { type LocalCluster, withCluster } from "./support/cluster.ts";
import { POSTGRES_IMAGE, PSQL_IMAGE } from "./support/images.ts";
import { realNodeUnavailable } from "./support/node/capability.ts";
import {
  applyDatabases,
  CRD_PATH,
  databaseManifest,
  installCrd,
  startPgop,
} from "./support/pgop.ts";
import { freePorts } from "./support/ports.ts";
import { waitUntil } from "./support/wait.ts";

const unavailable = await realNodeUnavailable();
if (unavailable) console.error(`real-node tests skipped: ${unavailable}`);

/** First start of a PostgreSQL: volume, initdb, probes (seconds on this machine; a minute is ample). */
const READY_MS = 120_000;

async function getJson<T>(cluster: LocalCluster, args: string[]): Promise<T> {
  return JSON.parse(await cluster.kubectl([...args, "-o", "json"])) as T;
}

async function database(cluster: LocalCluster, name: string): Promise<Database> {
  return await getJson<Database>(cluster, ["get", "database", name]);
}

async function waitReady(cluster: LocalCluster, name: string): Promise<void> {
  await waitUntil(`Database ${name} Ready`, async () => {
    const db = await database(cluster, name);
    return db.status?.phase === "Ready" &&
      db.status.observedGeneration === db.metadata?.generation;
  }, { timeoutMs: READY_MS, intervalMs: 200 });
}

/** The Secret's keys, decoded. */
async function credentials(cluster: LocalCluster, name: string): Promise<Record<string, string>> {
  const secret = await getJson<Secret>(cluster, ["get", "secret", `${name}-app`]);
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [
      k,
      new TextDecoder().decode(
        Uint8Array.from(atob(v), (c) => c.charCodeAt(0)),
      ),
    ]),
  );
}

/**
 * Runs `sh -c script` in a psql pod on the real node, with the Secret's keys
 * as environment (`URI`, `HOST`, `PORT`, `DBNAME`, `USERNAME`) straight from
 * the Secret, and returns its exit code and log.
 */
function clientPod(cluster: LocalCluster, name: string, db: string, script: string) {
  const env = Object.fromEntries(
    ["uri", "host", "port", "dbname", "username"].map((key) => [
      key.toUpperCase(),
      { secret: `${db}-app`, key },
    ]),
  );
  return cluster.realNodes.runPod({ name, image: PSQL_IMAGE, command: ["sh", "-c", script], env });
}

/** psql in a client pod with the Secret's `uri` exactly as written; returns the output. */
async function sql(cluster: LocalCluster, pod: string, db: string, query: string) {
  const result = await clientPod(
    cluster,
    pod,
    db,
    `exec psql "$URI" -v ON_ERROR_STOP=1 -Atc "${query}"`,
  );
  assert.equal(result.exitCode, 0, result.logs);
  return result.logs.trim();
}

/**
 * Reads table `kept` through the Service until it returns "row 1". The Service
 * points at a new pod a moment after the pod is Ready (the endpoint slice and the
 * node's proxy follow the pod), so a client must retry a refused connection, as
 * any client does across a restart. A lost row never comes back, and the wait
 * then fails with the last psql output.
 */
async function readRowThroughService(cluster: LocalCluster, podPrefix: string): Promise<void> {
  let attempt = 0;
  let read = "";
  await waitUntil("row 1 read through the Service", async () => {
    try {
      read = await sql(cluster, `${podPrefix}-${++attempt}`, "pg", "SELECT v FROM kept");
    } catch (err) {
      console.log(`read ${attempt} through the Service failed, retrying: ${err}`);
      throw err;
    }
    return read === "row 1";
  }, { timeoutMs: READY_MS, intervalMs: 500 });
  assert.equal(read, "row 1");
}

function condition(db: Database, type: string): Condition | undefined {
  return db.status?.conditions?.find((c) => c.type === type);
}

Deno.test({
  name: "Real node: a Database is a PostgreSQL that keeps its data and refuses wrong passwords",
  ignore: unavailable !== undefined,
}, async (t) => {
  await withCluster({ manifests: [CRD_PATH], realNodes: 1, nodes: 0 }, async (cluster) => {
    await installCrd(cluster);
    const pgop = await startPgop(cluster);
    try {
      const pg = databaseManifest("pg", {
        spec: { image: POSTGRES_IMAGE, storage: { size: "1Gi" } },
      });
      await t.step("the Database becomes Ready with a real PostgreSQL", async () => {
        await applyDatabases(cluster, [pg]);
        await cluster.kubectl([
          "wait",
          "database/pg",
          "--for=jsonpath={.status.phase}=Ready",
          "--timeout=2m",
        ]);
        const pod = await getJson<{ spec: { nodeName: string } }>(cluster, ["get", "pod", "pg-0"]);
        assert.ok(cluster.realNodes.names.includes(pod.spec.nodeName), pod.spec.nodeName);
        // As on kwok: 7 creates, the pod's role label and at most 4 status writes,
        // whatever the real pod went through.
        const writes = pgop.writes().map((w) => `${w.verb} ${w.resource}`);
        assert.ok(writes.length <= 12, writes.join("\n"));
        assert.equal(writes.filter((w) => w.startsWith("create")).length, 7, writes.join("\n"));
        assert.deepEqual(writes.filter((w) => w.startsWith("patch")), ["patch pods"]);
      });

      await t.step(
        "a client pod connects with the Secret's uri, creates a table and writes",
        async () => {
          const { uri } = await credentials(cluster, "pg");
          assert.match(uri, /@pg\.default\.svc:5432\/db1$/);
          const out = await sql(
            cluster,
            "client-write",
            "pg",
            "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('row 1'); SELECT current_user",
          );
          assert.match(out, /INSERT 0 1|admin/);
        },
      );

      await t.step("the row survives a deleted pod", async () => {
        const before = await getJson<{ metadata: { uid: string } }>(cluster, [
          "get",
          "pod",
          "pg-0",
        ]);
        await cluster.kubectl(["delete", "pod", "pg-0"]);
        // The new pod Ready itself: the Database's status can still say Ready from the old pod.
        await waitUntil("a new pg-0, Ready", async () => {
          const pod = await getJson<{
            metadata: { uid: string };
            status?: { conditions?: { type: string; status: string }[] };
          }>(cluster, ["get", "pod", "pg-0"]);
          return pod.metadata.uid !== before.metadata.uid &&
            (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
        }, { timeoutMs: READY_MS });
        await waitReady(cluster, "pg");
        await readRowThroughService(cluster, "client-read-1");
      });

      await t.step("the row survives a scale to zero and back", async () => {
        const scale = (n: number) =>
          cluster.kubectl([
            "patch",
            "database",
            "pg",
            "--type=merge",
            "-p",
            `{"spec":{"replicas":${n}}}`,
          ]);
        await scale(0);
        await waitUntil(
          "no pg pods",
          async () =>
            (await cluster.kubectl([
              "get",
              "pods",
              "-l",
              "app.kubernetes.io/instance=pg",
              "-o",
              "name",
            ]))
              .trim() === "",
          { timeoutMs: READY_MS },
        );
        await waitReady(cluster, "pg");
        assert.equal(
          (await cluster.kubectl(["get", "pvc", "data-pg-0", "-o", "name"])).trim(),
          "persistentvolumeclaim/data-pg-0",
        );
        await scale(1);
        await waitReady(cluster, "pg");
        await readRowThroughService(cluster, "client-read-2");
      });

      await t.step("a wrong password is refused", async () => {
        const result = await clientPod(
          cluster,
          "client-wrong",
          "pg",
          'psql "host=$HOST port=$PORT dbname=$DBNAME user=$USERNAME password=wrong" -c "SELECT 1"',
        );
        assert.notEqual(result.exitCode, 0);
        assert.match(result.logs, /password authentication failed for user "admin"/);
      });

      await t.step("psql on the host through kubectl port-forward, as README shows", async () => {
        const { username, dbname } = await credentials(cluster, "pg");
        const password = atob(
          await cluster.kubectl(["get", "secret", "pg-app", "-o", "jsonpath={.data.password}"]),
        );
        const [port] = freePorts(1);
        const forward = new Deno.Command(cluster.binaries.kubectl, {
          args: [
            "--kubeconfig",
            cluster.kubeconfigPath,
            "port-forward",
            "service/pg",
            `${port}:5432`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const output = forward.stdout.pipeThrough(new TextDecoderStream()).getReader();
        try {
          let seen = "";
          while (!seen.includes("Forwarding from")) {
            const { value, done } = await output.read();
            if (done) throw new Error(`kubectl port-forward ended: ${seen}`);
            seen += value;
          }
          const out = await new Deno.Command("psql", {
            args: [
              "-h",
              "127.0.0.1",
              "-p",
              String(port),
              "-U",
              username,
              "-Atc",
              "SELECT v FROM kept",
              dbname,
            ],
            env: { PGPASSWORD: password, PGCONNECT_TIMEOUT: "10" },
          }).output();
          const text = new TextDecoder().decode(out.stdout).trim();
          assert.equal(text, "row 1", new TextDecoder().decode(out.stderr));
        } finally {
          forward.kill("SIGTERM");
          await forward.status;
          await output.cancel();
          await forward.stderr.cancel();
        }
      });

      await t.step("a Database whose pod cannot start says why in its status", async () => {
        // A registry on a closed loopback port: the pull fails at once, nothing leaves the machine.
        const bad = databaseManifest("bad-image", { spec: { image: "127.0.0.1:9/pgop/none:1" } });
        // An image that is not PostgreSQL: psql exits at once, the kubelet backs off.
        const crash = databaseManifest("crash", { spec: { image: PSQL_IMAGE } });
        await applyDatabases(cluster, [bad, crash]);
        try {
          const want: Array<[string, RegExp]> = [
            ["bad-image", /^(ErrImagePull|ImagePullBackOff)$/],
            ["crash", /^(CrashLoopBackOff|Error)$/],
          ];
          for (const [name, reason] of want) {
            // One read for all three: a crash-looping pod runs for a moment between back-offs.
            await waitUntil(`${name} to report its pod's reason`, async () => {
              const db = await database(cluster, name);
              const ready = condition(db, "Ready");
              return ready?.status === "False" && reason.test(ready.reason) &&
                ready.message.startsWith(`Pod "${name}-0": `) &&
                condition(db, "Degraded")?.reason === ready.reason;
            }, { timeoutMs: READY_MS });
          }
        } finally {
          await cluster.kubectl(["delete", "database", "bad-image", "crash"]);
        }
      });

      await t.step("deleting a Database removes its pods, claims and volumes", async () => {
        const pv =
          (await cluster.kubectl(["get", "pvc", "data-pg-0", "-o", "jsonpath={.spec.volumeName}"]))
            .trim();
        assert.notEqual(pv, "");
        await cluster.kubectl(["delete", "database", "pg"]);
        await waitUntil("pods, claims and the volume gone", async () => {
          const left = await cluster.kubectl([
            "get",
            "pods,pvc,pv",
            "-A",
            "-l",
            "app.kubernetes.io/instance in (pg, bad-image, crash)",
            "-o",
            "name",
          ]);
          const volumes = await cluster.kubectl(["get", "pv", "-o", "name"]);
          return left.trim() === "" && !volumes.includes(pv);
        }, { timeoutMs: READY_MS });
      });
    } finally {
      await pgop.stop();
    }
  });
});
