/**
 * Automated fail-over on two real kubelet nodes, with pgop running
 * (`docs/failover.md`): a Database of two pods with `synchronous: 1`, its
 * primary on one node and its standby on the other; a client pod on the
 * standby's node inserts one row per connection through `NAME-rw`; the
 * primary's node is lost (its kubelet, containerd and containers SIGKILLed).
 * pgop promotes the standby; every acknowledged row is on it; the time
 * without acknowledged writes is printed. The node returns and the old
 * primary rejoins as a standby: exactly one server is out of recovery. Then
 * the same with asynchronous replication, back to the first node: the
 * acknowledged rows the fail-over lost (if any) are counted and printed.
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
/** The most the writer writes: the loss, the fail-over and writes after it (it is told to stop). */
const WRITER_S = 240;
/** Rows the writer must get acknowledged by the new primary before it is told to stop. */
const AFTER_ACKS = 30;

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

/**
 * A client pod `name` on `node` inserting one row per connection through
 * `NAME-rw`, for at most {@link WRITER_S} or until `/tmp/stop` exists in it;
 * ids start after `from`.
 */
function writer(cluster: LocalCluster, name: string, node: string, from: number) {
  return cluster.realNodes.runPod({
    name,
    image: PSQL_IMAGE,
    node,
    command: [
      "sh",
      "-c",
      `${RW} -c 'create table if not exists w (id int primary key)' || exit 1
end=$(($(date +%s) + ${WRITER_S})); i=${from}
while [ ! -e /tmp/stop ] && [ "$(date +%s)" -lt "$end" ]; do
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

async function acked(cluster: LocalCluster, pod: string): Promise<number> {
  const logs = await cluster.kubectl(["logs", pod]).catch(() => "");
  return logs.split("\n").filter((l) => l.startsWith("ok ")).length;
}

/** What one fail-over under a writer showed. */
interface FailoverRun {
  readonly acked: number;
  readonly lost: number;
  readonly promotedS: number;
  readonly outageS: number;
}

/**
 * With `NAME` Ready on two nodes: a writer on the standby's node, the
 * primary's node killed, until the standby is a Ready primary and has
 * acknowledged {@link AFTER_ACKS} rows; then the node back and the old primary
 * a streaming standby again, exactly one server out of recovery.
 */
async function failOver(cluster: LocalCluster, run: number, from: number): Promise<FailoverRun> {
  const oldPrimary = (await database(cluster)).status?.primary ?? "";
  const standby = oldPrimary === `${NAME}-0` ? `${NAME}-1` : `${NAME}-0`;
  const lost = await nodeOf(cluster, oldPrimary);
  const survivor = await nodeOf(cluster, standby);
  assert.notEqual(lost, survivor, "the pods spread over the two nodes (anti-affinity)");
  const name = `writer-${run}`;
  const writing = writer(cluster, name, survivor, from);
  let result: PodResult;
  let killedAt = 0;
  let promotedAt = 0;
  let stopped = false;
  try {
    await waitUntil("the writer writing", async () => await acked(cluster, name) >= 20, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    killedAt = Date.now() / 1000;
    try {
      stopped = true;
      await cluster.realNodes.stopNode(lost);
      await waitUntil(`${standby} promoted`, async () => {
        const db = await database(cluster);
        return db.status?.primary === standby &&
          db.status.instances?.find((i) => i.name === standby)?.ready === true;
      }, { timeoutMs: FAILOVER_MS, intervalMs: 500 });
      promotedAt = Date.now() / 1000;
      const before = await acked(cluster, name);
      await waitUntil("writes acknowledged by the new primary", async () => {
        return await acked(cluster, name) >= before + AFTER_ACKS;
      }, { timeoutMs: 120_000, intervalMs: 500 });
    } finally {
      await cluster.kubectl(["exec", name, "--", "touch", "/tmp/stop"]).catch(() => "");
      result = await writing;
    }
  } catch (error) {
    // A node left stopped by a failed test is started again, so that clean-up finds it whole.
    if (stopped) await cluster.realNodes.startNode(lost).catch(() => {});
    throw error;
  }
  assert.equal(result.exitCode, 0, result.logs);
  const acks = result.logs.split("\n").filter((l) => l.startsWith("ok "))
    .map((l) => l.split(" ")).map(([, id, at]) => ({ id: Number(id), at: Number(at) }));
  // The write outage as a client sees it: the longest time between two acknowledgements.
  let outageS = 0;
  for (let i = 1; i < acks.length; i++) outageS = Math.max(outageS, acks[i].at - acks[i - 1].at);
  const present = new Set(
    (await onPod(cluster, standby, "select id from w")).split("\n").map(Number),
  );
  const lostRows = acks.filter((a) => !present.has(a.id)).length;
  const db = await database(cluster);
  assert.equal(db.status?.lastFailover?.from, oldPrimary);
  assert.equal(db.status?.lastFailover?.to, standby);

  // The node returns: the old primary rejoins as a standby, never as a second primary.
  await cluster.realNodes.startNode(lost);
  await waitUntil(`node ${lost} Ready`, () => nodeReady(cluster, lost), {
    timeoutMs: 120_000,
    intervalMs: 500,
  });
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
  const figures = {
    acked: acks.length,
    lost: lostRows,
    promotedS: promotedAt - killedAt,
    outageS,
  };
  console.log(
    `fail-over ${run} (${oldPrimary} → ${standby}): ${figures.acked} writes acknowledged, ` +
      `${figures.lost} lost; promoted ${figures.promotedS.toFixed(1)} s after the node was ` +
      `killed; no acknowledged write for ${outageS.toFixed(1)} s; ${oldPrimary} rejoined, ${how}`,
  );
  return figures;
}

async function waitReady(cluster: LocalCluster): Promise<void> {
  await waitUntil(`${NAME} Ready with 2 streaming instances`, async () => {
    const db = await database(cluster);
    const instances = db.status?.instances ?? [];
    return db.status?.phase === "Ready" &&
      db.status.observedGeneration === db.metadata?.generation && instances.length === 2 &&
      instances.every((i) => i.ready);
  }, { timeoutMs: READY_MS, intervalMs: 500 });
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
      await waitReady(cluster);
      // Synchronous: the standby confirmed each commit before the loss, so none is lost.
      const sync = await failOver(cluster, 1, 0);
      assert.equal(sync.lost, 0, "acknowledged rows missing on the new primary");
      const events = await cluster.kubectl([
        "get",
        "events",
        "--field-selector",
        `involvedObject.name=${NAME},reason=FailedOver`,
        "-o",
        "jsonpath={.items[*].type}",
      ]);
      assert.match(events, /Warning/);

      // Asynchronous, and back to the first node: what is lost is counted, not asserted.
      await cluster.kubectl([
        "patch",
        "database",
        NAME,
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { replication: { synchronous: 0 } } }),
      ]);
      await waitReady(cluster);
      await failOver(cluster, 2, 1_000_000);
      const metrics = await pgop.metrics.registry.getSingleMetricAsString(
        "database_failovers_total",
      );
      assert.match(metrics, /^database_failovers_total 2$/m);
    } finally {
      await pgop.stop();
    }
  });
});
