// deno-lint-ignore-file no-explicit-any
/**
 * The local control plane itself: real etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and kwok on loopback.
 */
import { compactEtcd } from "./support/cluster_extras.ts";
import assert from "node:assert/strict";
import { type LocalCluster, withCluster } from "./support/cluster.ts";
import { waitUntil } from "./support/wait.ts";

/** GET/POST/PUT against the API server with the admin client certificate. */
async function api(
  cluster: LocalCluster,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string; json(): Promise<Record<string, any>> }> {
  const { pem } = cluster.certs;
  const client = Deno.createHttpClient({ caCerts: [pem.ca], cert: pem.cert, key: pem.key });
  try {
    const res = await fetch(`${cluster.server}${path}`, {
      ...init,
      client,
      headers: { "content-type": "application/json", ...init.headers },
    });
    // Read the body before the client closes.
    const text = await res.text();
    return { status: res.status, text, json: () => Promise.resolve(JSON.parse(text)) };
  } finally {
    client.close();
  }
}

const statefulSet = {
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: "smoke", namespace: "default" },
  spec: {
    serviceName: "smoke",
    replicas: 1,
    selector: { matchLabels: { app: "smoke" } },
    template: {
      metadata: { labels: { app: "smoke" } },
      spec: { containers: [{ name: "main", image: "postgres:14" }] },
    },
    volumeClaimTemplates: [{
      metadata: { name: "data" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    }],
  },
};

Deno.test("local control plane: API, StatefulSet on kwok, garbage collection, 410 after compaction", async (t) => {
  // The ConfigMap watch cache is off so that a watch reaches etcd and sees its compaction.
  await withCluster({ apiserverArgs: ["--watch-cache-sizes=configmaps#0"] }, async (cluster) => {
    await t.step("the API answers and reports the real release", async () => {
      const res = await api(cluster, "/version");
      assert.equal(res.status, 200);
      const version = await res.json();
      assert.match(version.gitVersion, /^v1\.\d+\.\d+$/);
      const client = await cluster.kubectl(["version", "-o", "json"]);
      assert.equal(JSON.parse(client).serverVersion.gitVersion, version.gitVersion);
      const nodes = await cluster.kubectl(["get", "nodes", "-o", "name"]);
      assert.equal(nodes.trim().split("\n").length, 3);
    });

    await t.step(
      "a StatefulSet with a volumeClaimTemplate gets its pod Ready on a kwok node",
      async () => {
        await cluster.apply([statefulSet]);
        await waitUntil("StatefulSet readyReplicas == 1", async () => {
          const res = await api(cluster, "/apis/apps/v1/namespaces/default/statefulsets/smoke");
          return (await res.json()).status?.readyReplicas === 1;
        });
        const pod = await (await api(cluster, "/api/v1/namespaces/default/pods/smoke-0")).json();
        assert.match(pod.spec.nodeName, /^kwok-node-/);
        assert.equal(pod.status.phase, "Running");
        const pvc = await api(
          cluster,
          "/api/v1/namespaces/default/persistentvolumeclaims/data-smoke-0",
        );
        assert.equal(pvc.status, 200);
      },
    );

    await t.step("deleting an owner removes what it owns (garbage collector)", async () => {
      await api(cluster, "/apis/apps/v1/namespaces/default/statefulsets/smoke", {
        method: "DELETE",
        body: JSON.stringify({ propagationPolicy: "Background" }),
      });
      await waitUntil("pod smoke-0 deleted", async () => {
        return (await api(cluster, "/api/v1/namespaces/default/pods/smoke-0")).status === 404;
      });
      const owner = await (await api(cluster, "/api/v1/namespaces/default/configmaps", {
        method: "POST",
        body: JSON.stringify({ metadata: { name: "owner" } }),
      })).json();
      await api(cluster, "/api/v1/namespaces/default/configmaps", {
        method: "POST",
        body: JSON.stringify({
          metadata: {
            name: "dependent",
            ownerReferences: [{
              apiVersion: "v1",
              kind: "ConfigMap",
              name: "owner",
              uid: owner.metadata.uid,
            }],
          },
        }),
      });
      await api(cluster, "/api/v1/namespaces/default/configmaps/owner", { method: "DELETE" });
      await waitUntil("dependent ConfigMap collected", async () => {
        return (await api(cluster, "/api/v1/namespaces/default/configmaps/dependent")).status ===
          404;
      });
    });

    await t.step(
      "a watch from a resourceVersion older than an etcd compaction gets 410 Gone",
      async () => {
        const created = await (await api(cluster, "/api/v1/namespaces/default/configmaps", {
          method: "POST",
          body: JSON.stringify({ metadata: { name: "history" }, data: { n: "0" } }),
        })).json();
        const oldVersion = created.metadata.resourceVersion;
        for (let i = 1; i <= 3; i++) {
          await api(cluster, "/api/v1/namespaces/default/configmaps/history", {
            method: "PATCH",
            headers: { "content-type": "application/merge-patch+json" },
            body: JSON.stringify({ data: { n: String(i) } }),
          });
        }
        const revision = await compactEtcd(cluster);
        assert.ok(revision > Number(oldVersion));
        const res = await api(
          cluster,
          `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${oldVersion}&timeoutSeconds=5`,
        );
        // Either an HTTP 410, or a 200 stream whose first event is an ERROR carrying Status 410.
        const code = res.status === 200
          ? JSON.parse(res.text.split("\n")[0]).object.code
          : res.status;
        assert.equal(code, 410);
      },
    );
  });
});
