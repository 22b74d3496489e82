/**
 * The Database reconciler end to end, on the real control plane: children,
 * status, no writes when nothing changed, password stability, repair,
 * deletion.
 */
import assert from "node:assert/strict";
import type { Database } from "../lib/database/types.ts";
import { withCluster } from "./support/cluster.ts";
import {
  applyDatabases,
  CRD_PATH,
  databaseManifest,
  installCrd,
  startPgop,
} from "./support/pgop.ts";
import { settled } from "./support/settled.ts";
import { waitUntil } from "./support/wait.ts";

async function getJson(cluster: Parameters<typeof installCrd>[0], args: string[]) {
  return JSON.parse(await cluster.kubectl([...args, "-o", "json"]));
}

Deno.test("Database: children, status, zero writes when idle, stable password, repair, deletion", async (t) => {
  await withCluster({ manifests: [CRD_PATH] }, async (cluster) => {
    await installCrd(cluster);
    let pgop = await startPgop(cluster);
    try {
      await t.step("a new Database gets its children, a Ready pod and a Ready status", async () => {
        await applyDatabases(cluster, [databaseManifest("test-db-1")]);
        await waitUntil("Database Ready", async () => {
          const db: Database = await getJson(cluster, ["get", "database", "test-db-1"]);
          return db.status?.phase === "Ready" &&
            db.status.observedGeneration === db.metadata?.generation;
        });
        const db: Database = await getJson(cluster, ["get", "database", "test-db-1"]);
        const uid = db.metadata?.uid;
        for (
          const [kind, name] of [
            ["secret", "test-db-1-app"],
            ["secret", "test-db-1-replication"],
            ["service", "test-db-1"],
            ["service", "test-db-1-headless"],
            ["service", "test-db-1-rw"],
            ["service", "test-db-1-ro"],
            ["statefulset", "test-db-1"],
          ]
        ) {
          const child = await getJson(cluster, ["get", kind, name]);
          const owner = child.metadata.ownerReferences?.[0];
          assert.equal(owner?.uid, uid, `${kind}/${name} owned by the Database`);
          assert.equal(owner?.controller, true);
          assert.equal(child.metadata.labels["app.kubernetes.io/managed-by"], "pgop");
          assert.equal(child.metadata.labels["app.kubernetes.io/instance"], "test-db-1");
        }
        const pod = await getJson(cluster, ["get", "pod", "test-db-1-0"]);
        assert.equal(pod.status.phase, "Running");
        const ready = db.status?.conditions?.find((c) => c.type === "Ready");
        assert.equal(ready?.status, "True");
        assert.equal(db.status?.readyReplicas, 1);
        assert.equal(pod.metadata.labels["database.example.com/role"], "primary");
        assert.equal(db.status?.primary, "test-db-1-0");
        assert.deepEqual(db.status?.instances, [{
          name: "test-db-1-0",
          role: "primary",
          ready: true,
        }]);
      });

      await t.step("at most 12 writes for it: 7 children, 1 role label, 4 status writes", () => {
        const writes = pgop.writes().map((w) => `${w.verb} ${w.resource} ${w.code}`);
        assert.ok(writes.length <= 12, writes.join("\n"));
        assert.equal(writes.filter((w) => w.startsWith("create")).length, 7, writes.join("\n"));
        assert.equal(writes.filter((w) => w.startsWith("patch pods")).length, 1, writes.join("\n"));
      });

      const password = async () =>
        atob((await getJson(cluster, ["get", "secret", "test-db-1-app"])).data.password);
      const original = await password();

      await t.step(
        "an idle pgop makes no request, and a restarted one makes no write",
        async () => {
          const before = pgop.requests.length;
          const version = await settled(pgop, cluster, "databases", "default/test-db-1");
          const idle = pgop.requests.slice(before).filter((r) => r.verb !== "watch");
          assert.deepEqual(
            idle,
            [],
            `requests until the Database watch delivered ${version} and the queue was idle`,
          );
          await pgop.stop();
          pgop = await startPgop(cluster);
          await waitUntil("caches synced", () => pgop.operator.manager.synced);
          const reconciled = () =>
            pgop.metrics.text().then((t) =>
              /database_reconcile_total\{result="success"\} [1-9]/.test(t)
            );
          await waitUntil("a reconcile after restart", reconciled);
          const seen = await settled(pgop, cluster, "statefulSets", "default/test-db-1");
          assert.deepEqual(
            pgop.writes(),
            [],
            `writes until the StatefulSet watch delivered ${seen} and the queue was idle`,
          );
          assert.equal(await password(), original);
        },
      );

      await t.step("a manually edited child is put back, a user's own field survives", async () => {
        await cluster.kubectl([
          "patch",
          "service",
          "test-db-1",
          "--type=merge",
          "-p",
          JSON.stringify({
            metadata: { annotations: { "team.example.com/owner": "dba" } },
            spec: { selector: { "app.kubernetes.io/instance": "someone-else" } },
          }),
        ]);
        await waitUntil("selector put back", async () => {
          const svc = await getJson(cluster, ["get", "service", "test-db-1"]);
          return svc.spec.selector["app.kubernetes.io/instance"] === "test-db-1";
        });
        const svc = await getJson(cluster, ["get", "service", "test-db-1"]);
        assert.equal(svc.metadata.annotations["team.example.com/owner"], "dba");
      });

      await t.step("a StatefulSet scaled or re-imaged by hand is put back", async () => {
        await cluster.kubectl(["scale", "statefulset", "test-db-1", "--replicas=0"]);
        await cluster.kubectl(["set", "image", "statefulset/test-db-1", "postgres=postgres:9"]);
        await waitUntil("replicas and image put back", async () => {
          const sts = await getJson(cluster, ["get", "statefulset", "test-db-1"]);
          return sts.spec.replicas === 1 &&
            sts.spec.template.spec.containers[0].image === "postgres:14";
        });
        // Put back once: the other managers' field sets no longer hold pgop's fields,
        // and pgop goes back to answering from its cache.
        await settled(pgop, cluster, "statefulSets", "default/test-db-1");
        const before = pgop.requests.length;
        const version = await settled(pgop, cluster, "statefulSets", "default/test-db-1");
        assert.deepEqual(
          pgop.requests.slice(before).filter((r) => r.verb !== "watch"),
          [],
          `requests until the StatefulSet watch delivered ${version} and the queue was idle`,
        );
      });

      await t.step("the password survives a deleted and recreated StatefulSet", async () => {
        await cluster.kubectl(["delete", "statefulset", "test-db-1", "--wait=true"]);
        await waitUntil("StatefulSet recreated and Ready", async () => {
          const db: Database = await getJson(cluster, ["get", "database", "test-db-1"]);
          const sts = await getJson(cluster, ["get", "statefulset", "test-db-1"]).catch(() =>
            undefined
          );
          return sts?.status?.readyReplicas === 1 && db.status?.phase === "Ready";
        });
        assert.equal(await password(), original);
      });

      await t.step("spec changes propagate: replicas and image", async () => {
        await cluster.kubectl([
          "patch",
          "database",
          "test-db-1",
          "--type=merge",
          "-p",
          JSON.stringify({
            spec: { replicas: 2, image: "postgres:15" },
          }),
        ]);
        await waitUntil("2 replicas Ready on postgres:15", async () => {
          const db: Database = await getJson(cluster, ["get", "database", "test-db-1"]);
          const sts = await getJson(cluster, ["get", "statefulset", "test-db-1"]);
          return db.status?.phase === "Ready" && db.status.readyReplicas === 2 &&
            db.status.observedGeneration === db.metadata?.generation &&
            sts.spec.template.spec.containers[0].image === "postgres:15";
        });
      });

      await t.step("kubectl delete databases --all leaves nothing behind", async () => {
        await cluster.kubectl(["delete", "databases", "--all", "--wait=true", "--timeout=60s"]);
        await waitUntil("children collected", async () => {
          const left = await cluster.kubectl([
            "get",
            "statefulsets,services,secrets,pods,persistentvolumeclaims",
            "-l",
            "app.kubernetes.io/instance=test-db-1",
            "-o",
            "name",
          ]);
          return left.trim() === "";
        });
      });
    } finally {
      await pgop.stop();
    }
  });
});
