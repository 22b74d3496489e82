/**
 * pgop in the cluster, as a user installs it: its image built here
 * (cluster/images/pgop.sh), imported into the real node, and deploy/
 * applied with `kubectl apply -k` of an overlay that only names that image
 * (README, "Deploying"). Two replicas turn Ready through the kubelet's
 * probes; pgop reads its in-cluster configuration (the `kubernetes`
 * Service, the mounted token and CA); Prometheus' way of scraping the secure
 * metrics works with a ServiceAccount token and only with an authorized one;
 * Databases go Ready (real PostgreSQL); deleting the leader's pod hands over
 * to the other replica, and no write ever comes from a replica not holding
 * the Lease (the API server's audit log is the witness); a rolling restart
 * and a drain keep the PodDisruptionBudget and lose no work; a rotated
 * token file is read again; then deploy/namespaced in place of
 * deploy/cluster-wide reconciles in its namespaces.
 *
 * Needs root, cgroup v1 and the packages of `make setup`; skipped (with the
 * reason) where the machine has none of that.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Database } from "../lib/database/types.ts";
import { AuditLog } from "./support/audit.ts";
import { type LocalCluster, withCluster } from "./support/cluster.ts";
import { ensurePgopImage, POSTGRES_IMAGE } from "./support/images.ts";
import {
  applyOverlay,
  leaderPod,
  leaseField,
  PGOP_DEPLOYMENT,
  PGOP_NAMESPACE,
  PGOP_SELECTOR,
  pgopPods,
  podOfIdentity,
  rotateProjectedToken,
  scrapeMetrics,
  serviceAccountVolume,
  tokenId,
} from "./support/in_cluster.ts";
import { LEASE_AUDIT_POLICY, replicaWrites, writesByNonLeaders } from "./support/lease_audit.ts";
import { realNodeUnavailable } from "./support/node/capability.ts";
import { CRD_PATH, databaseManifest } from "./support/pgop.ts";
import { createServiceAccount, SERVICE_ACCOUNT_USER } from "./support/service_account.ts";
import { waitUntil } from "./support/wait.ts";

const unavailable = await realNodeUnavailable();
if (unavailable) console.error(`in-cluster tests skipped: ${unavailable}`);

/** First start of a PostgreSQL, or of a pgop pod (seconds here; a minute or two is ample). */
const READY_MS = 120_000;

async function waitDatabasesReady(
  cluster: LocalCluster,
  names: readonly string[],
  namespace = "default",
) {
  await waitUntil(`Databases ${names.join(", ")} Ready`, async () => {
    const list = JSON.parse(
      await cluster.kubectl(["get", "databases", "-n", namespace, "-o", "json"]),
    );
    const ready = new Set(
      (list.items as Database[]).filter((d) =>
        d.status?.phase === "Ready" && d.status.observedGeneration === d.metadata?.generation
      ).map((d) => d.metadata?.name),
    );
    return names.every((n) => ready.has(n));
  }, { timeoutMs: READY_MS, intervalMs: 250 });
}

async function createDatabases(
  cluster: LocalCluster,
  names: readonly string[],
  namespace = "default",
) {
  await cluster.apply(
    names.map((name) =>
      databaseManifest(name, {
        namespace,
        spec: { image: POSTGRES_IMAGE, storage: { size: "1Gi" } },
      })
    ),
  );
}

/** Two pgop pods Ready, none being deleted, all of the Deployment's current template. */
async function waitTwoReady(cluster: LocalCluster, what: string) {
  await cluster.kubectl([
    "rollout",
    "status",
    `deployment/${PGOP_DEPLOYMENT}`,
    "-n",
    PGOP_NAMESPACE,
    `--timeout=${READY_MS / 1000}s`,
  ]);
  await waitUntil(what, async () => {
    const pods = await pgopPods(cluster);
    return pods.length === 2 && pods.every((p) => p.ready && !p.deleting);
  }, { timeoutMs: READY_MS, intervalMs: 200 });
}

/**
 * Samples pgop's pods every 100 ms until `done` settles, and returns the
 * fewest Ready ones seen (the PodDisruptionBudget says at least 1).
 */
async function fewestReadyWhile(cluster: LocalCluster, done: Promise<unknown>): Promise<number> {
  let settled = false;
  const finished = done.finally(() => settled = true);
  let fewest = Infinity;
  while (!settled) {
    const pods = await pgopPods(cluster);
    fewest = Math.min(fewest, pods.filter((p) => p.ready && !p.deleting).length);
    await Promise.race([finished.catch(() => {}), new Promise((r) => setTimeout(r, 100))]);
  }
  await finished;
  return fewest;
}

Deno.test({
  name: "pgop installed from deploy/ with its local image runs, hands over, and keeps the PDB",
  ignore: unavailable !== undefined,
  fn: async () => {
    const audit = await AuditLog.withPolicy(LEASE_AUDIT_POLICY);
    try {
      await withCluster({
        realNodes: 1,
        nodes: 0,
        manifests: [CRD_PATH],
        apiserverArgs: audit.apiserverArgs,
      }, async (cluster) => {
        const node = cluster.realNodes.names[0];
        const t0 = performance.now();
        const phase = (what: string) =>
          console.error(`in-cluster: ${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        // README: build the image, import it into the node, apply the overlay.
        const image = await ensurePgopImage();
        await cluster.realNodes.importImage(image.tar);
        const overlay = join(cluster.dir, "overlay");
        await applyOverlay(cluster, overlay, "cluster-wide", image.ref);
        await waitTwoReady(cluster, "two pgop replicas Ready");
        const pods = await pgopPods(cluster);
        assert.deepEqual(pods.map((p) => [p.image, p.node, p.restarts]), [
          [image.ref, node, 0],
          [image.ref, node, 0],
        ]);
        const log = await cluster.kubectl(["logs", "-n", PGOP_NAMESPACE, pods[0].name]);
        assert.match(log, /"context":"inClusterContext"/);
        assert.match(log, /"server":"https:\/\/kubernetes\.default\.svc:443"/);

        phase("two replicas Ready");
        // Prometheus: a ServiceAccount bound to pgop-metrics-reader scrapes each pod.
        const scraper = await createServiceAccount(cluster, "prometheus", {
          clusterRole: "pgop-metrics-reader",
        });
        const stranger = await createServiceAccount(cluster, "stranger");
        for (const pod of pods) {
          const scraped = await scrapeMetrics(pod, scraper);
          assert.equal(scraped.status, 200, scraped.body);
          assert.match(scraped.body, /^# (HELP|TYPE) /m);
          assert.equal((await scrapeMetrics(pod, stranger)).status, 403);
          assert.equal((await scrapeMetrics(pod)).status, 401);
        }

        phase("metrics scraped");
        const first = ["in-a", "in-b"];
        await createDatabases(cluster, first);
        await waitDatabasesReady(cluster, first);

        phase("first Databases Ready");
        // The leader's pod deleted (gracefully, as kubectl does): the other replica leads.
        const leader = await leaderPod(cluster);
        assert.ok(pods.some((p) => p.name === leader), `leader "${leader}"`);
        // Its log to the end, for how it stopped (the pod and its log go with it).
        const leaderLog = cluster.kubectl(["logs", "-f", "-n", PGOP_NAMESPACE, leader])
          .catch((err: Error) => err.message);
        const started = performance.now();
        const deleted = cluster.kubectl(["delete", "pod", "-n", PGOP_NAMESPACE, leader]);
        let successor = "";
        await waitUntil("another replica holding the Lease", async () => {
          successor = await leaderPod(cluster);
          return successor !== "" && successor !== leader;
        }, { timeoutMs: 60_000, intervalMs: 50 });
        const handoverMs = performance.now() - started;
        await deleted;
        // From the old leader's SIGTERM (its log) to the new one's acquireTime (the Lease).
        const shutdown = /"@timestamp":"([^"]+)"[^\n]*"message":"Shutting down"/.exec(
          await leaderLog,
        )?.[1];
        const acquired = await leaseField(cluster, "acquireTime");
        const afterSignal = shutdown ? `${Date.parse(acquired) - Date.parse(shutdown)} ms` : "?";
        console.error(
          `in-cluster: leader pod deleted → ${successor} holds the Lease after ${
            Math.round(handoverMs)
          } ms (${afterSignal} after the old leader's SIGTERM)`,
        );
        const afterHandover = ["in-c"];
        await createDatabases(cluster, afterHandover);
        await waitDatabasesReady(cluster, afterHandover);
        await waitTwoReady(cluster, "the Deployment's replacement Ready");

        phase("handed over, replacement Ready");
        // A rolling restart: the PDB holds (at least one Ready), Databases made meanwhile go Ready.
        const restart = cluster.kubectl([
          "rollout",
          "restart",
          `deployment/${PGOP_DEPLOYMENT}`,
          "-n",
          PGOP_NAMESPACE,
        ]).then(() => waitTwoReady(cluster, "the restarted replicas Ready"));
        const duringRestart = ["in-d", "in-e"];
        const created = createDatabases(cluster, duringRestart);
        assert.ok(await fewestReadyWhile(cluster, restart) >= 1);
        await created;
        await waitDatabasesReady(cluster, duringRestart);

        phase("rolled out");
        // A drain of the node: one pod may go, the other stays for the PDB; drain gives up.
        const drain = cluster.kubectl([
          "drain",
          node,
          `--pod-selector=${PGOP_SELECTOR}`,
          "--ignore-daemonsets",
          "--timeout=10s",
        ]).then(() => "", (err: Error) => err.message);
        const fewestDuringDrain = await fewestReadyWhile(cluster, drain);
        assert.match(await drain, /disruption budget/);
        assert.equal(fewestDuringDrain, 1);
        // The remaining replica leads and reconciles (the cordoned node takes no new
        // PostgreSQL pod until uncordoned, so Ready comes after).
        const duringDrain = ["in-f"];
        await createDatabases(cluster, duringDrain);
        await waitUntil("Database in-f reconciled during the drain", async () => {
          const db: Database = JSON.parse(
            await cluster.kubectl(["get", "database", "in-f", "-o", "json"]),
          );
          return db.status?.observedGeneration === db.metadata?.generation;
        }, { timeoutMs: 30_000, intervalMs: 200 });
        await cluster.kubectl(["uncordon", node]);
        await waitDatabasesReady(cluster, duringDrain);
        await waitTwoReady(cluster, "both replicas back after uncordon");

        phase("drained and uncordoned");
        // The kubelet rotates the token file: the leader's next requests carry the new token.
        const current = await leaderPod(cluster);
        const pod = (await pgopPods(cluster)).find((p) => p.name === current);
        assert.ok(pod, `leader "${current}"`);
        const fresh = (await cluster.kubectl([
          "create",
          "token",
          "pgop",
          "-n",
          PGOP_NAMESPACE,
          "--bound-object-kind=Pod",
          `--bound-object-name=${pod.name}`,
          `--bound-object-uid=${pod.uid}`,
          "--duration=10m",
        ])).trim();
        const volume = await serviceAccountVolume(cluster.realNodes.kubeletRoot(pod.node), pod.uid);
        const rotatedAt = Date.now();
        let rotations = 0;
        await waitUntil("the leader's requests with the rotated token", async () => {
          // The kubelet puts its own token back when it syncs the volume: a rotation too.
          if (await rotateProjectedToken(volume, fresh)) rotations++;
          return (await audit.read()).some((r) =>
            r.pod === pod.name && r.received > rotatedAt && r.credential === `JTI=${tokenId(fresh)}`
          );
        }, { timeoutMs: 30_000, intervalMs: 500 });
        console.error(`in-cluster: token file rotated ${rotations} time(s) before pgop used it`);
        const afterRotation = ["in-g"];
        await createDatabases(cluster, afterRotation);
        await waitDatabasesReady(cluster, afterRotation);

        phase("token rotated");
        // Never two reconcilers at once: every write by a replica came while it held the Lease.
        const writes = replicaWrites(
          (await audit.read()).filter((r) => r.user === SERVICE_ACCOUNT_USER).map((r) => ({
            ...r,
            user: `${SERVICE_ACCOUNT_USER}:${r.pod ?? ""}`,
            ...(r.leaseHolder === undefined ? {} : { leaseHolder: podOfIdentity(r.leaseHolder) }),
          })),
          `${SERVICE_ACCOUNT_USER}:`,
        );
        assert.ok(writes.some((w) => w.resource === "statefulsets"), "writes audited");
        assert.deepEqual(writesByNonLeaders(writes), []);
        for (const p of await pgopPods(cluster)) assert.equal(p.restarts, 0, p.name);

        // The namespaced install in place of the cluster-wide one: team-a and team-b only.
        phase("cluster-wide install checked");
        await cluster.kubectl(["delete", "-k", overlay, "--wait=true", "--timeout=120s"]);
        for (const ns of ["team-a", "team-b"]) await cluster.kubectl(["create", "namespace", ns]);
        await applyOverlay(cluster, join(cluster.dir, "overlay-ns"), "namespaced", image.ref);
        await waitTwoReady(cluster, "two namespaced replicas Ready");
        await createDatabases(cluster, ["ns-a"], "team-a");
        await waitDatabasesReady(cluster, ["ns-a"], "team-a");
        phase("namespaced install reconciled");
      });
    } finally {
      await audit.remove();
    }
  },
});
