/**
 * A Database made by a pgop before replication (its StatefulSet
 * `OrderedReady`, pods without roles) is taken over: the StatefulSet is
 * deleted with orphan propagation once and made again with parallel pod
 * management, the pods get their role labels, and the Database is Ready.
 * On kwok nodes (no PostgreSQL runs; this is about the objects).
 */
import assert from "node:assert/strict";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { desiredHash, stamp } from "../lib/database/desired_hash.ts";
import { desiredStatefulSet } from "../lib/database/statefulset.ts";
import { type Database, FIELD_MANAGER } from "../lib/database/types.ts";
import { Resources } from "../lib/kube/resource.ts";
import { clientFor } from "./support/client.ts";
import { withCluster } from "./support/cluster.ts";
import {
  applyDatabases,
  CRD_PATH,
  databaseManifest,
  installCrd,
  startPgop,
} from "./support/pgop.ts";
import { waitUntil } from "./support/wait.ts";

Deno.test("Replication upgrade: an OrderedReady StatefulSet is made again as Parallel, pods keep their volumes", async () => {
  await withCluster({ manifests: [CRD_PATH] }, async (cluster) => {
    await installCrd(cluster);
    const client = await clientFor(cluster);
    try {
      await applyDatabases(cluster, [databaseManifest("old", { spec: { replicas: 2 } })]);
      const db = await client.get<Database>(Resources.databases, "old", { namespace: "default" });
      // What pgop made before replication: OrderedReady, pg_isready probes, no roles.
      const before = desiredStatefulSet(db, { secretName: "old-app" });
      assert.equal(before.spec?.podManagementPolicy, "OrderedReady");
      const made = await client.create<StatefulSet>(
        Resources.statefulSets,
        stamp(before, desiredHash(before)),
        { namespace: "default", fieldManager: FIELD_MANAGER },
      );
      await waitUntil("the old StatefulSet's two pods", async () => {
        const sts = await client.get<StatefulSet>(Resources.statefulSets, "old", {
          namespace: "default",
        });
        return sts.status?.readyReplicas === 2;
      });
      const claims = await cluster.kubectl(["get", "pvc", "-o", "name"]);

      const pgop = await startPgop(cluster);
      try {
        await waitUntil("old Ready with a primary and a replica", async () => {
          const now = await client.get<Database>(Resources.databases, "old", {
            namespace: "default",
          });
          return now.status?.phase === "Ready" &&
            now.status.instances?.map((i) => `${i.role} ${i.ready}`).join() ===
              "primary true,replica true";
        }, { timeoutMs: 90_000 });
        const sts = await client.get<StatefulSet>(Resources.statefulSets, "old", {
          namespace: "default",
        });
        assert.equal(sts.spec?.podManagementPolicy, "Parallel");
        assert.notEqual(sts.metadata?.uid, made.metadata?.uid, "made again");
        const deletes = pgop.writes().filter((w) => w.verb === "delete");
        assert.deepEqual(deletes.map((w) => w.resource), ["statefulsets.apps"]);
        assert.equal(await cluster.kubectl(["get", "pvc", "-o", "name"]), claims, "volumes kept");
        const events = await cluster.kubectl([
          "get",
          "events",
          "--field-selector",
          "reason=StatefulSetRecreated",
          "-o",
          "name",
        ]);
        assert.notEqual(events.trim(), "");
      } finally {
        await pgop.stop();
      }
    } finally {
      client.close();
    }
  });
});
