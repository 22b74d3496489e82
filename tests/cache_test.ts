/**
 * The watch cache (lib/cache/) against a real kube-apiserver + etcd: initial
 * sync both ways, events, indexes, the memory diet, resuming after an API
 * server restart, and the 410 relist after an etcd compaction.
 */
import { compactEtcd } from "./support/cluster_extras.ts";
import assert from "node:assert/strict";
import { fieldIndexer, namespaceIndexer, ownerUidIndexer } from "../lib/cache/indexers.ts";
import { Informer, type InformerOptions } from "../lib/cache/informer.ts";
import { objectKey } from "../lib/cache/store.ts";
import { LAST_APPLIED_ANNOTATION } from "../lib/cache/transform.ts";
import type { Resource } from "../lib/kube/resource.ts";
import type { KubeClient, KubeObject } from "../lib/kube/types.ts";
import { clientFor } from "./support/client.ts";
import { withCluster } from "./support/cluster.ts";
import { HoldableClient } from "./support/holdable_client.ts";
import {
  type ConfigMap,
  ConfigMaps,
  createNamespace,
  installWidgetCrd,
  versions,
  type Widget,
  Widgets,
} from "./support/test_resources.ts";
import { waitUntil } from "./support/wait.ts";

/** A running informer that records handler calls and reflector hooks; disposing stops it. */
interface Running<T extends KubeObject> extends AsyncDisposable {
  readonly informer: Informer<T>;
  /** "add ns/name", "update ns/name", "delete ns/name", in the order handlers heard them. */
  readonly events: string[];
  /** Each full list: its reason, plus " streaming" for a streaming list. */
  readonly lists: string[];
  /** Watches reopened after one ended or failed. */
  readonly restarts: () => number;
}

async function startInformer<T extends KubeObject>(
  client: KubeClient,
  resource: Resource,
  options: InformerOptions<T> = {},
): Promise<Running<T>> {
  const events: string[] = [];
  const lists: string[] = [];
  let restarts = 0;
  const informer = new Informer<T>(client, resource, {
    ...options,
    hooks: {
      onList: ({ reason, streaming }) => lists.push(streaming ? `${reason} streaming` : reason),
      onWatchRestart: () => void restarts++,
    },
  });
  informer.addHandler({
    onAdd: (obj) => events.push(`add ${objectKey(obj)}`),
    onUpdate: (_old, obj) => events.push(`update ${objectKey(obj)}`),
    onDelete: (obj) => events.push(`delete ${objectKey(obj)}`),
  });
  const controller = new AbortController();
  const running = informer.run(controller.signal);
  const stop = async () => {
    controller.abort();
    await running;
  };
  try {
    await informer.waitForSync(undefined, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { informer, events, lists, restarts: () => restarts, [Symbol.asyncDispose]: stop };
}

/** Waits until the cache holds exactly what a fresh list from the server returns. */
async function converged<T extends KubeObject>(
  client: KubeClient,
  running: Running<T>,
  resource: Resource,
  namespace?: string,
): Promise<void> {
  let truth: string[] = [];
  await waitUntil(`the ${resource.plural} cache to match the server`, async () => {
    truth = versions((await client.list(resource, { namespace })).items);
    return JSON.stringify(versions(running.informer.store.list({ namespace }))) ===
      JSON.stringify(truth);
  }, { timeoutMs: 30_000 }).catch((error) => {
    assert.deepEqual(versions(running.informer.store.list({ namespace })), truth);
    throw error;
  });
}

const names = (objects: readonly KubeObject[]) => objects.map((o) => objectKey(o)).sort();

const widget = (
  namespace: string,
  name: string,
  environment: string,
  extra: Partial<Widget["metadata"]> = {},
): Widget => ({ metadata: { namespace, name, ...extra }, spec: { environment } });

Deno.test("Informer against a real API server: sync, events, indexes, restart, 410", async (t) => {
  // ConfigMaps bypass the watch cache, so their watches read etcd and see its compaction;
  // Widgets (a CRD) keep it. The two differ in what a restart costs (see below).
  await withCluster({
    workloads: false,
    apiserverArgs: ["--watch-cache-sizes=configmaps#0"],
  }, async (cluster) => {
    const requests = new Map<string, number>();
    const client = await clientFor(cluster, {
      onRequest: ({ verb }) => requests.set(verb, (requests.get(verb) ?? 0) + 1),
    });
    try {
      await installWidgetCrd(client);
      await createNamespace(client, "cache-a");
      await createNamespace(client, "cache-b");
      const owner = await client.create<ConfigMap>(ConfigMaps, {
        metadata: { namespace: "cache-a", name: "owner" },
      });
      const ownerUid = owner.metadata?.uid ?? "";
      const ownedBy = {
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: ownerUid }],
      };
      const lastApplied = { [LAST_APPLIED_ANNOTATION]: "{}", keep: "me" };
      for (
        const w of [
          widget("cache-a", "w1", "prod", { annotations: lastApplied }),
          widget("cache-a", "w2", "dev", ownedBy),
          widget("cache-a", "w3", "prod", ownedBy),
          widget("cache-b", "w4", "prod"),
          widget("cache-b", "w5", "staging"),
        ]
      ) await client.create(Widgets, w);

      await t.step(
        "a streaming list (sendInitialEvents) fills the store without any list request",
        async () => {
          requests.clear();
          await using run = await startInformer<Widget>(client, Widgets);
          assert.deepEqual(run.lists, ["initial streaming"], "no fallback: the server streams");
          assert.equal(requests.get("list"), undefined);
          assert.equal(requests.get("watch"), 1);
          await converged(client, run, Widgets);
          assert.equal(run.informer.store.size, 5);
          assert.deepEqual(
            run.events.sort(),
            names(run.informer.store.list()).map((k) => `add ${k}`),
          );
        },
      );

      await t.step(
        "with useWatchList: false a paginated list fills the store page by page",
        async () => {
          requests.clear();
          await using run = await startInformer<Widget>(client, Widgets, {
            useWatchList: false,
            pageSize: 2,
          });
          assert.deepEqual(run.lists, ["initial"]);
          assert.equal(requests.get("list"), 3, "5 objects in pages of 2");
          await converged(client, run, Widgets);
          assert.equal(run.events.length, 5);
        },
      );

      await t.step(
        "adds, updates and deletes reach the store and the handlers in order",
        async () => {
          await using run = await startInformer<Widget>(client, Widgets);
          const before = run.events.length;
          await client.create(Widgets, widget("cache-b", "w6", "dev"));
          await client.patch(Widgets, "w2", { spec: { size: 2 } }, {
            type: "merge",
            namespace: "cache-a",
          });
          await client.delete(Widgets, "w5", { namespace: "cache-b" });
          await converged(client, run, Widgets);
          assert.deepEqual(run.events.slice(before), [
            "add cache-b/w6",
            "update cache-a/w2",
            "delete cache-b/w5",
          ]);
          assert.equal(run.informer.store.get("cache-a/w2")?.spec?.size, 2);
        },
      );

      await t.step("indexes answer namespace, spec.environment and owner queries", async () => {
        await using run = await startInformer<Widget>(client, Widgets, {
          indexers: {
            namespace: namespaceIndexer,
            "spec.environment": fieldIndexer("spec.environment"),
            owner: ownerUidIndexer,
          },
        });
        const { store } = run.informer;
        assert.deepEqual(names(store.list({ namespace: "cache-b" })), ["cache-b/w4", "cache-b/w6"]);
        // The CRD declares spec.environment selectable: the server's answer is the reference.
        const prod = await client.list(Widgets, { fieldSelector: "spec.environment=prod" });
        assert.deepEqual(names(prod.items), ["cache-a/w1", "cache-a/w3", "cache-b/w4"]);
        assert.deepEqual(
          names(store.list({ fields: { "spec.environment": "prod" } })),
          names(prod.items),
        );
        assert.deepEqual(
          names(store.list({ namespace: "cache-a", fields: { "spec.environment": "prod" } })),
          ["cache-a/w1", "cache-a/w3"],
        );
        assert.deepEqual(names(store.byIndex("owner", ownerUid)), ["cache-a/w2", "cache-a/w3"]);
        assert.deepEqual(store.list({ fields: { "spec.environment": "none" } }), []);
      });

      await t.step("the memory-diet transform drops managedFields and last-applied", async () => {
        await using run = await startInformer<Widget>(client, Widgets);
        const server = await client.get<Widget>(Widgets, "w1", { namespace: "cache-a" });
        assert.ok((server.metadata?.managedFields?.length ?? 0) > 0);
        assert.equal(server.metadata?.annotations?.[LAST_APPLIED_ANNOTATION], "{}");
        const cached = run.informer.store.get("cache-a/w1");
        assert.deepEqual(cached?.metadata?.annotations, { keep: "me" });
        assert.equal(cached?.metadata?.resourceVersion, server.metadata?.resourceVersion);
        for (const obj of run.informer.store.list()) {
          assert.equal(obj.metadata?.managedFields, undefined, objectKey(obj));
        }
      });

      await t.step("after an API server restart the caches resume and converge", async () => {
        const ns = "cache-restart";
        await createNamespace(client, ns);
        for (const name of ["c1", "c2", "c3"]) {
          await client.create(ConfigMaps, { metadata: { namespace: ns, name } });
        }
        await using maps = await startInformer<ConfigMap>(client, ConfigMaps, { namespace: ns });
        await using widgets = await startInformer<Widget>(client, Widgets);
        const mapsBefore = maps.events.length;
        const widgetsBefore = widgets.events.length;
        await cluster.restartApiserver();
        await client.create(ConfigMaps, { metadata: { namespace: ns, name: "c4" } });
        await client.patch(ConfigMaps, "c2", { data: { v: "2" } }, {
          type: "merge",
          namespace: ns,
        });
        await client.delete(ConfigMaps, "c3", { namespace: ns });
        await client.create(Widgets, widget("cache-a", "w7", "dev"));
        await client.patch(Widgets, "w1", { spec: { size: 7 } }, {
          type: "merge",
          namespace: "cache-a",
        });
        await client.delete(Widgets, "w4", { namespace: "cache-b" });
        await converged(client, maps, ConfigMaps, ns);
        await converged(client, widgets, Widgets);
        // Served from etcd, whose history outlives the restart: the watch resumes, no relist.
        assert.deepEqual(maps.lists, ["initial streaming"]);
        assert.ok(maps.restarts() >= 1, "the watch was reopened");
        assert.deepEqual(maps.events.slice(mapsBefore), [
          `add ${ns}/c4`,
          `update ${ns}/c2`,
          `delete ${ns}/c3`,
        ]);
        // A fresh watch cache starts at the current revision and answers an older one
        // with 410 when anything was written since (v1.36), so a relist is allowed here;
        // either way the handlers hear exactly the three changes, nothing unchanged.
        assert.ok(
          ["initial streaming", "initial streaming,expired streaming"].includes(
            widgets.lists.join(),
          ),
          widgets.lists.join(),
        );
        assert.deepEqual(widgets.events.slice(widgetsBefore).sort(), [
          "add cache-a/w7",
          "delete cache-b/w4",
          "update cache-a/w1",
        ]);
      });

      await t.step(
        "a watch resumed past an etcd compaction relists and emits only the gap",
        async () => {
          const ns = "cache-gap";
          await createNamespace(client, ns);
          for (const name of ["a", "b", "c"]) {
            await client.create(ConfigMaps, { metadata: { namespace: ns, name } });
          }
          const holdable = new HoldableClient(client);
          await using run = await startInformer<ConfigMap>(holdable, ConfigMaps, { namespace: ns });
          const before = run.events.length;
          // From here the informer hears nothing: its watch stays open but events are dropped.
          holdable.hold();
          await client.create(ConfigMaps, { metadata: { namespace: ns, name: "d" } });
          await client.patch(ConfigMaps, "b", { data: { v: "2" } }, {
            type: "merge",
            namespace: ns,
          });
          await client.delete(ConfigMaps, "c", { namespace: ns });
          await waitUntil("the held watch to drop three events", () => holdable.dropped === 3);
          await compactEtcd(cluster);
          // The watch fails; the reflector resumes from its old resourceVersion: 410 Gone.
          holdable.release();
          await converged(client, run, ConfigMaps, ns);
          assert.deepEqual(run.lists, ["initial streaming", "expired streaming"]);
          assert.deepEqual(run.events.slice(before), [
            `add ${ns}/d`,
            `update ${ns}/b`,
            `delete ${ns}/c`,
          ]);
        },
      );
    } finally {
      client.close();
    }
  });
});
