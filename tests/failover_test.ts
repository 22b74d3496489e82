/**
 * Automated fail-over on two real kubelet nodes, with pgop running
 * (`docs/failover.md`): a Database of two pods with `synchronous: 1`, its
 * primary on one node and its standby on the other; a client pod on the
 * standby's node inserts one row per connection through `NAME-rw`; the
 * primary's node is lost (its kubelet, containerd and containers SIGKILLed).
 * pgop promotes the standby; every acknowledged row is on it; the time
 * without acknowledged writes is printed. The node returns and the old
 * primary rejoins as a standby: exactly one server is out of recovery.
 *
 * Needs root, cgroup v1 and the packages of `make setup`; skipped (with the
 * reason) where the machine has none of that.
 */
import assert from "node:assert/strict";
import type { Database } from "../lib/database/types.ts";
import { type LocalCluster, withCluster } from "./support/cluster.ts";
import { POSTGRES_IMAGE, PSQL_IMAGE } from "./support/images.ts";
import { realNodeUnavailable } from "./support/node/capability.ts";
import type { PodResult } from "./support/node/client_pod.ts";
import {
  applyDatabases,
  CRD_PATH,
  databaseManifest,
  installCrd,
  startPgop,
} from "./support/pgop.ts";
import { getJson, onPod } from "./support/pod_sql.ts";
import { waitUntil } from "./support/wait.ts";

const unavailable = await realNodeUnavailable();
if (unavailable) console.error(`fail-over tests skipped: ${unavailable}`);

const NAME = "fo";
/** Cloning the standby and first starts. */
const READY_MS = 240_000;
/**
 * The node controller's grace period (50 s by default) plus pgop's delay
 * (10 s here) plus the promotion, with room for a busy machine.
 */
const FAILOVER_MS = 180_000;
/** How long the writer writes: the loss, the fail-over and writes after it. */
const WRITER_S = 150;

async function database(cluster: LocalCluster): Promise<Database> {
  return await getJson<Database>(cluster, ["get", "database", NAME]);
}

async function nodeOf(cluster: LocalCluster, pod: string): Promise<string> {
  return (await cluster.kubectl(["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"])).trim();
}

async function nodeReady(cluster: LocalCluster, node: string): Promise<boolean> {
  const status = await cluster.kubectl([
    "get",
    "node",
    node,
    "-o",
    `jsonpath={.status.conditions[?(@.type=="Ready")].status}`,
  ]);
  return status.trim() === "True";
}

/** psql to `NAME-rw` as the application, bounded (a connection to a lost node hangs otherwise). */
const RW =
  `timeout 5 psql "host=${NAME}-rw dbname=db1 user=admin password=$PASSWORD connect_timeout=1" -XAtq -v ON_ERROR_STOP=1`;

/** A client pod on `node` inserting one row per connection through `NAME-rw` for {@link WRITER_S}. */
function writer(cluster: LocalCluster, node: string): Promise<PodResult> {
  return cluster.realNodes.runPod({
    name: "writer",
    image: PSQL_IMAGE,
    node,
    command: [
      "sh",
      "-c",
      `${RW} -c 'create table if not exists w (id int primary key)' || exit 1
end=$(($(date +%s) + ${WRITER_S})); i=0
while [ "$(date +%s)" -lt "$end" ]; do
  i=$((i + 1))
  if ${RW} -c "insert into w values ($i)" >/dev/null 2>&1; then
    echo "ok $i $(date +%s.%N)"
  else
    sleep 0.2
  fi
done`,
    ],
    env: { PASSWORD: { secret: `${NAME}-app`, key: "password" } },
    timeoutMs: (WRITER_S + 120) * 1000,
  });
}

Deno.test({
  name: "Real nodes: a lost primary's node fails over to the standby, which keeps every write",
  ignore: unavailable !== undefined,
}, async () => {
  await withCluster({ manifests: [CRD_PATH], realNodes: 2, nodes: 0 }, async (cluster) => {
    await installCrd(cluster);
    // Both nodes schedulable first (Ready, the node controller's not-ready taint gone), or
    // both pods could land on the one that is.
    for (const node of cluster.realNodes.names) {
      await waitUntil(`node ${node} Ready and untainted`, async () => {
        const taints = await cluster.kubectl([
          "get",
          "node",
          node,
          "-o",
          "jsonpath={.spec.taints}",
        ]);
        return await nodeReady(cluster, node) && !taints.includes("not-ready");
      }, { timeoutMs: 60_000, intervalMs: 250 });
    }
    const pgop = await startPgop(cluster, ["--failover-delay=10s"]);
    let lost: string | undefined;
    try {
      await applyDatabases(cluster, [
        databaseManifest(NAME, {
          spec: {
            image: POSTGRES_IMAGE,
            replicas: 2,
            replication: { synchronous: 1 },
            storage: { size: "1Gi" },
          },
        }),
      ]);
      await waitUntil(`${NAME} Ready with 2 streaming instances`, async () => {
        const db = await database(cluster);
        const instances = db.status?.instances ?? [];
        return db.status?.phase === "Ready" && instances.length === 2 &&
          instances.every((i) => i.ready);
      }, { timeoutMs: READY_MS, intervalMs: 500 });
      const oldPrimary = (await database(cluster)).status?.primary ?? "";
      const standby = oldPrimary === `${NAME}-0` ? `${NAME}-1` : `${NAME}-0`;
      lost = await nodeOf(cluster, oldPrimary);
      const survivor = await nodeOf(cluster, standby);
      assert.notEqual(lost, survivor, "the pods spread over the two nodes (anti-affinity)");

      const writing = writer(cluster, survivor);
      let result: PodResult;
      let killedAt = 0;
      let promotedAt = 0;
      try {
        await waitUntil("the writer writing", async () => {
          const logs = await cluster.kubectl(["logs", "writer"]).catch(() => "");
          return logs.split("\n").filter((l) => l.startsWith("ok ")).length >= 20;
        }, { timeoutMs: 60_000, intervalMs: 200 });
        killedAt = Date.now() / 1000;
        await cluster.realNodes.stopNode(lost);
        await waitUntil(`${standby} promoted`, async () => {
          const db = await database(cluster);
          return db.status?.primary === standby &&
            db.status.instances?.find((i) => i.name === standby)?.ready === true;
        }, { timeoutMs: FAILOVER_MS, intervalMs: 500 });
        promotedAt = Date.now() / 1000;
      } finally {
        result = await writing;
      }
      assert.equal(result.exitCode, 0, result.logs);
      const acks = result.logs.split("\n").filter((l) => l.startsWith("ok "))
        .map((l) => l.split(" ")).map(([, id, at]) => ({ id: Number(id), at: Number(at) }));
      const before = acks.filter((a) => a.at < killedAt);
      const after = acks.filter((a) => a.at >= killedAt);
      assert.ok(after.length > 0, "writes were acknowledged again after the fail-over");
      // The write outage as a client sees it: the longest time between two acknowledgements.
      let outage = 0;
      for (let i = 1; i < acks.length; i++) outage = Math.max(outage, acks[i].at - acks[i - 1].at);

      // Every acknowledged row is on the new primary (synchronous: the
      // standby confirmed each commit before the loss).
      const present = new Set(
        (await onPod(cluster, standby, "select id from w")).split("\n").map(Number),
      );
      const missing = acks.filter((a) => !present.has(a.id));
      assert.deepEqual(missing, [], "acknowledged rows missing on the new primary");
      const db = await database(cluster);
      assert.equal(db.status?.lastFailover?.from, oldPrimary);
      assert.equal(db.status?.lastFailover?.to, standby);
      const events = await cluster.kubectl([
        "get",
        "events",
        "--field-selector",
        `involvedObject.name=${NAME},reason=FailedOver`,
        "-o",
        "jsonpath={.items[*].type}",
      ]);
      assert.match(events, /Warning/);
      const metrics = await pgop.metrics.registry.getSingleMetricAsString(
        "database_failovers_total",
      );
      assert.match(metrics, /^database_failovers_total 1$/m);
      console.log(
        `fail-over: ${acks.length} writes acknowledged (${before.length} before the loss), ` +
          `none lost; promoted ${(promotedAt - killedAt).toFixed(1)} s after the node was ` +
          `killed; no acknowledged write for ${outage.toFixed(1)} s`,
      );

      // The node returns: the old primary rejoins as a standby, never as a second primary.
      await cluster.realNodes.startNode(lost);
      await waitUntil(`node ${lost} Ready`, () => nodeReady(cluster, lost as string), {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
      lost = undefined;
      await waitUntil(`${oldPrimary} streaming as a standby`, async () => {
        const db = await database(cluster);
        const old = db.status?.instances?.find((i) => i.name === oldPrimary);
        return old?.role === "replica" && old.ready === true;
      }, { timeoutMs: READY_MS, intervalMs: 500 });
      assert.equal(await onPod(cluster, standby, "select pg_is_in_recovery()"), "f");
      assert.equal(await onPod(cluster, oldPrimary, "select pg_is_in_recovery()"), "t");
      const want = await onPod(cluster, standby, "select count(*) from w");
      await waitUntil(`${oldPrimary} has every row`, async () => {
        return await onPod(cluster, oldPrimary, "select count(*) from w") === want;
      }, { timeoutMs: 60_000, intervalMs: 500 });
      const log = await cluster.kubectl(["logs", oldPrimary, "-c", "postgres"]);
      const how = log.includes("cloning the new primary instead")
        ? "cloned afresh after pg_rewind failed"
        : log.includes("pg_rewind: Done!")
        ? "rewound (pg_rewind)"
        : "without a rewind";
      console.log(`fail-over: ${oldPrimary} rejoined as a standby, ${how}`);
    } finally {
      // A node left stopped by a failed test is started again, so that clean-up finds it whole.
      if (lost !== undefined) await cluster.realNodes.startNode(lost).catch(() => {});
      await pgop.stop();
    }
  });
});
