/**
 * Replication on a real kubelet node, with pgop running (`docs/replication.md`):
 * `replicas: 3` is one primary and two streaming standbys of a real
 * PostgreSQL; a write through `NAME-rw` is read through `NAME-ro`; a deleted
 * standby comes back and catches up; a planned switchover under a writer
 * loses no acknowledged row; scaling 3 → 1 → 3 keeps the data (the primary,
 * now pod 1, hands over to pod 0 before the scale-down); deleting the
 * Database removes every pod and volume.
 *
 * Needs root, cgroup v1 and the packages of `make setup`; skipped (with the
 * reason) where the machine has none of that.
 */
import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.d.ts";
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
import { settled } from "./support/settled.ts";
import { getJson, onPod } from "./support/pod_sql.ts";
import { waitUntil } from "./support/wait.ts";

const unavailable = await realNodeUnavailable();
if (unavailable) console.error(`replication tests skipped: ${unavailable}`);

/** Cloning standbys and first starts (seconds here; minutes are ample). */
const READY_MS = 240_000;
const NAME = "rep";
/** How often pgop looks at the primary's replication in this test (30 s by default). */
const LAG_INTERVAL = "2s";

async function waitReady(cluster: LocalCluster, replicas: number): Promise<Database> {
  let db: Database | undefined;
  await waitUntil(`${NAME} Ready with ${replicas} streaming instances`, async () => {
    db = await getJson<Database>(cluster, ["get", "database", NAME]);
    const instances = db.status?.instances ?? [];
    return db.status?.phase === "Ready" &&
      db.status.observedGeneration === db.metadata?.generation &&
      instances.length === replicas && instances.every((i) => i.ready);
  }, { timeoutMs: READY_MS, intervalMs: 500 });
  return db as Database;
}

/**
 * Waits (bounded) until status shows a lag in bytes for every replica and
 * none for the primary: the observer looks every {@link LAG_INTERVAL}, and a
 * standby's replay position is known from its first status message.
 */
async function waitLag(cluster: LocalCluster): Promise<void> {
  let last: unknown;
  try {
    await waitUntil("lagBytes of every replica in status", async () => {
      const db = await getJson<Database>(cluster, ["get", "database", NAME]);
      last = db.status?.instances;
      const all = db.status?.instances ?? [];
      return all.length > 1 &&
        all.every((i) =>
          i.role === "replica"
            ? typeof i.lagBytes === "number" && i.lagBytes >= 0
            : i.lagBytes === undefined
        );
    }, { timeoutMs: 60_000, intervalMs: 500 });
  } catch (error) {
    throw new Error(`${(error as Error).message}; status.instances: ${JSON.stringify(last)}`);
  }
}

let clients = 0;

/**
 * Runs `script` (sh) in a psql client pod with the Secret's `uri`, `ro-uri`
 * and `password` as `URI`, `RO_URI`, `PASSWORD`; returns its log, asserting
 * it succeeded.
 */
async function client(cluster: LocalCluster, script: string, timeoutMs = 60_000) {
  const env = Object.fromEntries(
    [["URI", "uri"], ["RO_URI", "ro-uri"], ["PASSWORD", "password"]].map(([name, key]) => [
      name,
      { secret: `${NAME}-app`, key },
    ]),
  );
  const result = await cluster.realNodes.runPod({
    name: `client-${++clients}`,
    image: PSQL_IMAGE,
    command: ["sh", "-c", script],
    env,
    timeoutMs,
  });
  assert.equal(result.exitCode, 0, result.logs);
  return result.logs.trim();
}

/** psql to `NAME-rw` as the application. */
const RW =
  `psql "host=${NAME}-rw dbname=db1 user=admin password=$PASSWORD" -XAtq -v ON_ERROR_STOP=1`;

/** Until `count(*)` of `t` through `NAME-ro` is `n` (at most 30 s, in the client pod). */
function readThroughRo(n: number): string {
  return `i=0; until [ "$(psql "$RO_URI" -XAtqc 'select count(*) from t' 2>/dev/null)" = ${n} ]; do
  i=$((i + 1)); [ $i -le 150 ] || { echo "not $n rows through ${NAME}-ro"; exit 1; }; sleep 0.2
done; psql "$RO_URI" -XAtqc 'select pg_is_in_recovery()'`;
}

/**
 * A write through `NAME-rw` retried for at most 30 s (in the client pod): a
 * relabelled primary is an endpoint of `NAME-rw` from its relabel on, and
 * rejects writes as a standby until it has seen the label and promoted (the
 * write outage of docs/replication.md); a client retries through it.
 */
function writeRw(sql: string): string {
  return `i=0; until PGCONNECT_TIMEOUT=2 ${RW} -c "${sql}"; do
  i=$((i + 1)); [ $i -le 100 ] || { echo "no write through ${NAME}-rw in 30 s"; exit 1; }; sleep 0.3
done`;
}

/**
 * Runs a step's body; when it fails, logs what pgop and the pods looked like
 * (roles, readiness, the Database's status, recent events) before rethrowing:
 * a failure on a slow CI machine then says which part was late.
 */
async function diagnosed(cluster: LocalCluster, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const show = (args: string[]) => cluster.kubectl(args).catch((e) => String(e));
    console.error(
      [
        "--- pods ---",
        await show(["get", "pods", "-o", "wide", "--show-labels"]),
        "--- pod annotations ---",
        await show([
          "get",
          "pods",
          "-o",
          "jsonpath={range .items[*]}{.metadata.name} {.metadata.annotations} " +
          'ready={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
        ]),
        "--- database status ---",
        await show(["get", "database", NAME, "-o", "jsonpath={.status}"]),
        "--- events ---",
        await show(["get", "events", "--sort-by=.lastTimestamp"]),
      ].join("\n"),
    );
    throw error;
  }
}

async function scale(cluster: LocalCluster, replicas: number): Promise<void> {
  await cluster.kubectl([
    "patch",
    "database",
    NAME,
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { replicas } }),
  ]);
}

async function rows(cluster: LocalCluster, pod: string): Promise<number> {
  return Number(await onPod(cluster, pod, "select count(*) from t"));
}

const SWITCHOVER = "database.example.com/switchover-to";
const ROLE_PRIMARY = `app.kubernetes.io/instance=${NAME},database.example.com/role=primary`;

/** How long the writer writes: the switchover (seconds here) well inside it. */
const WRITER_S = 45;

/**
 * Asks for a switchover to `target` while a client pod inserts one row per
 * connection through `NAME-rw`; returns the acknowledged ids and the longest
 * time between two acknowledgements (the write outage, as a client sees it).
 */
async function switchover(cluster: LocalCluster, target: string) {
  await client(cluster, `${RW} -c 'create table if not exists w (id text primary key)'`);
  const name = `writer-${++clients}`;
  const writer = cluster.realNodes.runPod({
    name,
    image: PSQL_IMAGE,
    command: [
      "sh",
      "-c",
      `end=$(($(date +%s) + ${WRITER_S})); i=0
while [ "$(date +%s)" -lt "$end" ]; do
  i=$((i + 1))
  if PGCONNECT_TIMEOUT=1 ${RW} -c "insert into w values ('${target}-$i')" >/dev/null 2>&1; then
    echo "ok ${target}-$i $(date +%s.%N)"
  fi
done`,
    ],
    env: { PASSWORD: { secret: `${NAME}-app`, key: "password" } },
    timeoutMs: (WRITER_S + 60) * 1000,
  });
  let result: PodResult;
  let promoted = 0;
  try {
    await waitUntil("the writer writing", async () => {
      const logs = await cluster.kubectl(["logs", name]).catch(() => "");
      return logs.split("\n").length > 10;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    await cluster.kubectl(["annotate", "database", NAME, `${SWITCHOVER}=${target}`]);
    await waitUntil(`${target} primary`, async () => {
      const db = await getJson<Database>(cluster, ["get", "database", NAME]);
      return db.status?.primary === target &&
        db.status.instances?.find((i) => i.name === target)?.ready === true;
    }, { timeoutMs: READY_MS, intervalMs: 200 });
    // Pods and host share the clock: the writer's acknowledgement times compare with it.
    promoted = Date.now() / 1000;
  } finally {
    // The writer ends by itself (bounded); waited for also when the switchover failed.
    result = await writer;
  }
  assert.equal(result.exitCode, 0, result.logs);
  const acks = result.logs.split("\n").filter((l) => l.startsWith("ok ")).map((l) => l.split(" "));
  let longestGapS = 0;
  for (let i = 1; i < acks.length; i++) {
    longestGapS = Math.max(longestGapS, Number(acks[i][2]) - Number(acks[i - 1][2]));
  }
  // Writes came back within the writer's time, so its longest gap holds all of the outage.
  const last = Number(acks.at(-1)?.[2] ?? 0);
  assert.ok(last > promoted, `no write acknowledged after ${target} was a ready primary`);
  return { acked: acks.map((a) => a[1]), longestGapS };
}

Deno.test({
  name: "Real node: one primary and streaming standbys behind -rw and -ro",
  ignore: unavailable !== undefined,
}, async (t) => {
  await withCluster({ manifests: [CRD_PATH], realNodes: 1, nodes: 0 }, async (cluster) => {
    await installCrd(cluster);
    // The lag observer on, and quick: pods here are real, on this machine.
    const pgop = await startPgop(cluster, [`--replication-lag-interval=${LAG_INTERVAL}`]);
    const step = (name: string, body: () => Promise<void>) =>
      t.step(name, () => diagnosed(cluster, body));
    try {
      await step("replicas: 3 is a primary and two streaming standbys", async () => {
        await applyDatabases(cluster, [
          databaseManifest(NAME, {
            spec: { image: POSTGRES_IMAGE, replicas: 3, storage: { size: "1Gi" } },
          }),
        ]);
        const db = await waitReady(cluster, 3);
        assert.equal(db.status?.primary, `${NAME}-0`);
        assert.deepEqual(db.status?.instances?.map((i) => i.role), [
          "primary",
          "replica",
          "replica",
        ]);
        for (const standby of [`${NAME}-1`, `${NAME}-2`]) {
          assert.equal(await onPod(cluster, standby, "select pg_is_in_recovery()"), "t");
        }
        assert.equal(
          await onPod(
            cluster,
            `${NAME}-0`,
            "select count(*) from pg_stat_replication where state = 'streaming'",
          ),
          "2",
        );
      });

      await step(
        "each standby's lag in bytes, as the primary reports it, is in status",
        async () => {
          await waitLag(cluster);
        },
      );

      await step("a write through -rw is read through -ro", async () => {
        await client(
          cluster,
          `${RW} -c 'create table t (id int primary key)' -c 'insert into t values (1)'`,
        );
        assert.equal(await client(cluster, readThroughRo(1)), "t");
      });

      await step("a deleted standby comes back and catches up", async () => {
        const standby = `${NAME}-2`;
        const before = await getJson<Pod>(cluster, ["get", "pod", standby]);
        await cluster.kubectl(["delete", "pod", standby, "--wait=false"]);
        await client(cluster, `${RW} -c 'insert into t values (2)'`);
        await waitUntil(`a new ${standby}`, async () => {
          const pod = await getJson<Pod>(cluster, ["get", "pod", standby]).catch(() => undefined);
          return pod !== undefined && pod.metadata?.uid !== before.metadata?.uid;
        }, { timeoutMs: READY_MS });
        await waitReady(cluster, 3);
        await waitUntil(
          `both rows on ${standby}`,
          async () => (await rows(cluster, standby)) === 2,
        );
      });

      const [from, to] = [`${NAME}-0`, `${NAME}-1`];
      await step(
        `switchover ${from} → ${to} under a writer: no acknowledged row lost`,
        async () => {
          const { acked, longestGapS } = await switchover(cluster, to);
          const kept = new Set((await onPod(cluster, to, "select id from w")).split("\n"));
          assert.deepEqual(acked.filter((id) => !kept.has(id)), [], "acknowledged rows lost");
          const db = await waitReady(cluster, 3);
          assert.equal(db.metadata?.annotations?.[SWITCHOVER], undefined, "request consumed");
          const pods = await getJson<{ items: Pod[] }>(cluster, [
            "get",
            "pods",
            "-l",
            ROLE_PRIMARY,
          ]);
          assert.deepEqual(pods.items.map((p) => p.metadata?.name), [to]);
          await waitUntil(
            `every row on ${from}, now a standby`,
            async () =>
              (await onPod(cluster, from, "select count(*) from w")) === String(kept.size),
          );
          console.log(
            `switchover ${from} → ${to}: ${acked.length} rows acknowledged, none lost; ` +
              `longest gap between acknowledged writes ${longestGapS.toFixed(2)} s`,
          );
        },
      );

      await step(
        "scaling 3 → 1 → 3 keeps the data; the primary hands over to pod 0 first",
        async () => {
          await scale(cluster, 1);
          const db = await waitReady(cluster, 1);
          assert.equal(db.status?.primary, `${NAME}-0`);
          // Ready may still be the standby's readiness: pod 0 promotes once it sees its label.
          await client(cluster, writeRw("insert into t values (3)"));
          await scale(cluster, 3);
          await waitReady(cluster, 3);
          for (const pod of [`${NAME}-1`, `${NAME}-2`]) {
            await waitUntil(`3 rows on ${pod}`, async () => (await rows(cluster, pod)) === 3, {
              timeoutMs: READY_MS,
            });
          }
        },
      );

      await step("a steady replicated Database costs no write", async () => {
        // Steady includes the lag: the standbys back from the scale-up are observed again.
        await waitLag(cluster);
        const before = pgop.writes().length;
        const version = await settled(pgop, cluster, "pods", `default/${NAME}-1`);
        assert.deepEqual(
          pgop.writes().slice(before),
          [],
          `writes until the pod watch delivered ${version} and the queue was idle`,
        );
      });

      await step("deleting the Database removes every pod and volume", async () => {
        const volumes = (await cluster.kubectl([
          "get",
          "pvc",
          "-l",
          `app.kubernetes.io/instance=${NAME}`,
          "-o",
          "jsonpath={.items[*].spec.volumeName}",
        ])).trim().split(" ").filter((v) => v !== "");
        assert.equal(volumes.length, 3);
        await cluster.kubectl(["delete", "database", NAME]);
        await waitUntil("pods, claims and volumes gone", async () => {
          const left = await cluster.kubectl([
            "get",
            "pods,pvc",
            "-l",
            `app.kubernetes.io/instance=${NAME}`,
            "-o",
            "name",
          ]);
          const pvs = await cluster.kubectl(["get", "pv", "-o", "name"]);
          return left.trim() === "" && volumes.every((v) => !pvs.includes(v));
        }, { timeoutMs: READY_MS });
      });
    } finally {
      await pgop.stop();
    }
  });
});
