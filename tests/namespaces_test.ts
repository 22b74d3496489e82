/**
 * Watching a list of namespaces: each gets its own watches; Databases
 * elsewhere are left alone.
 */
import assert from "node:assert/strict";
import type { Database } from "../lib/database/types.ts";
import { withCluster } from "./support/cluster.ts";
import { applyDatabases, CRD_PATH, databaseManifest, startPgop } from "./support/pgop.ts";
import { waitUntil } from "./support/wait.ts";

Deno.test("--namespaces=a,b reconciles Databases in a and b only", async () => {
  await withCluster({ manifests: [CRD_PATH] }, async (cluster) => {
    for (const ns of ["team-a", "team-b", "team-c"]) {
      await cluster.kubectl(["create", "namespace", ns]);
    }
    const pgop = await startPgop(cluster, ["--namespaces=team-a,team-b"]);
    try {
      await applyDatabases(
        cluster,
        ["team-a", "team-b", "team-c"].map((ns) => databaseManifest("db", { namespace: ns })),
      );
      const phase = async (ns: string) =>
        (JSON.parse(
          await cluster.kubectl(["get", "database", "db", "-n", ns, "-o", "json"]),
        ) as Database).status?.phase;
      await waitUntil(
        "Ready in team-a and team-b",
        async () => (await phase("team-a")) === "Ready" && (await phase("team-b")) === "Ready",
      );
      assert.equal(await phase("team-c"), undefined);
      assert.equal(pgop.operator.databases.store.size, 2);
      assert.equal(pgop.operator.databases.store.list({ namespace: "team-b" }).length, 1);
      const children = await cluster.kubectl(["get", "statefulsets", "-n", "team-c", "-o", "name"]);
      assert.equal(children.trim(), "");
    } finally {
      await pgop.stop();
    }
  });
});
