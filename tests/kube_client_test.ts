/**
 * pgop's REST client (lib/kube/) against a real kube-apiserver + etcd: verbs,
 * typed errors, server-side apply, pagination, watches and the request hook.
 */
import assert from "node:assert/strict";
import { isAlreadyExists, isConflict, isNotFound } from "../lib/kube/errors.ts";
import type { RequestInfo, RestClient } from "../lib/kube/rest_client.ts";
import type { MessageSchema } from "../lib/kube/protobuf.ts";
import type { WatchEvent, WatchOptions } from "../lib/kube/types.ts";
import { INITIAL_EVENTS_END_ANNOTATION } from "../lib/cache/reflector_state.ts";
import { clientFor } from "./support/client.ts";
import { withCluster } from "./support/cluster.ts";
import {
  type ConfigMap,
  ConfigMaps,
  createNamespace,
  installWidgetCrd,
  type Widget,
  Widgets,
} from "./support/test_resources.ts";

const cm = (namespace: string, name: string, data: Record<string, string> = {}): ConfigMap => ({
  metadata: { namespace, name },
  data,
});

/** Reads a ConfigMap watch until `count` events arrived (or the server timeout ends it). */
async function readEvents(
  client: RestClient,
  options: WatchOptions,
  count = Infinity,
): Promise<WatchEvent<ConfigMap>[]> {
  const events: WatchEvent<ConfigMap>[] = [];
  for await (const event of client.watch<ConfigMap>(ConfigMaps, options)) {
    events.push(event);
    if (events.length >= count) break;
  }
  return events;
}

Deno.test("RestClient against a real API server: verbs, errors, apply, paging, watch", async (t) => {
  await withCluster({ workloads: false }, async (cluster) => {
    const client = await clientFor(cluster);
    try {
      const ns = "kube-client";
      await createNamespace(client, ns);

      await t.step(
        "create, get and update; an update with a stale resourceVersion conflicts",
        async () => {
          const created = await client.create(ConfigMaps, cm(ns, "crud", { a: "1" }));
          assert.equal(created.kind, "ConfigMap");
          const got = await client.get<ConfigMap>(ConfigMaps, "crud", { namespace: ns });
          assert.equal(got.metadata?.uid, created.metadata?.uid);
          assert.deepEqual(got.data, { a: "1" });
          const updated = await client.update(ConfigMaps, { ...got, data: { a: "2" } });
          assert.notEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion);
          await assert.rejects(
            client.update(ConfigMaps, { ...got, data: { a: "3" } }),
            (err) => isConflict(err) && err.code === 409 && err.reason === "Conflict",
          );
          const after = await client.get<ConfigMap>(ConfigMaps, "crud", { namespace: ns });
          assert.deepEqual(after.data, { a: "2" }, "the stale update changed nothing");
        },
      );

      await t.step("a second create is AlreadyExists, a missing object NotFound", async () => {
        await assert.rejects(
          client.create(ConfigMaps, cm(ns, "crud")),
          (err) => isAlreadyExists(err) && err.code === 409 && !isConflict(err),
        );
        await assert.rejects(
          client.get(ConfigMaps, "missing", { namespace: ns }),
          (err) => isNotFound(err) && err.reason === "NotFound",
        );
      });

      await t.step(
        "server-side apply creates, updates, and needs force to take fields",
        async () => {
          const applied = await client.apply(ConfigMaps, cm(ns, "applied", { a: "1" }), {
            fieldManager: "pgop-test",
          });
          assert.deepEqual(applied.data, { a: "1" });
          const again = await client.apply(ConfigMaps, cm(ns, "applied", { a: "2", b: "1" }), {
            fieldManager: "pgop-test",
          });
          assert.deepEqual(again.data, { a: "2", b: "1" });
          assert.equal(again.metadata?.uid, applied.metadata?.uid);
          const managers = again.metadata?.managedFields?.map((f) => [f.manager, f.operation]);
          assert.deepEqual(managers, [["pgop-test", "Apply"]]);
          await assert.rejects(
            client.apply(ConfigMaps, cm(ns, "applied", { a: "other" }), { fieldManager: "other" }),
            (err) => isConflict(err) && err.reason === "Conflict",
          );
          const forced = await client.apply(ConfigMaps, cm(ns, "applied", { a: "other" }), {
            fieldManager: "other",
            force: true,
          });
          assert.deepEqual(forced.data, { a: "other", b: "1" });
          // pgop-test no longer owns "a": dropping "b" from its intent removes "b" only.
          const shrunk = await client.apply(ConfigMaps, cm(ns, "applied", {}), {
            fieldManager: "pgop-test",
          });
          assert.deepEqual(shrunk.data, { a: "other" });
        },
      );

      await t.step("a merge patch changes only the keys it names", async () => {
        const patched = await client.patch<ConfigMap>(
          ConfigMaps,
          "crud",
          { data: { b: "new" } },
          { type: "merge", namespace: ns },
        );
        assert.deepEqual(patched.data, { a: "2", b: "new" });
      });

      await t.step("delete honours uid and resourceVersion preconditions", async () => {
        const live = await client.get<ConfigMap>(ConfigMaps, "crud", { namespace: ns });
        const uid = live.metadata?.uid ?? "";
        const resourceVersion = live.metadata?.resourceVersion ?? "";
        await assert.rejects(
          client.delete(ConfigMaps, "crud", { namespace: ns, preconditions: { uid: "not-it" } }),
          isConflict,
        );
        await assert.rejects(
          client.delete(ConfigMaps, "crud", {
            namespace: ns,
            preconditions: { uid, resourceVersion: "1" },
          }),
          isConflict,
        );
        await client.delete(ConfigMaps, "crud", {
          namespace: ns,
          preconditions: { uid, resourceVersion },
        });
        await assert.rejects(client.get(ConfigMaps, "crud", { namespace: ns }), isNotFound);
        await assert.rejects(client.delete(ConfigMaps, "crud", { namespace: ns }), isNotFound);
      });

      await t.step("a list with limit pages through a consistent snapshot", async () => {
        const paging = "paging";
        await createNamespace(client, paging);
        const names = Array.from({ length: 25 }, (_, i) => `item-${String(i).padStart(2, "0")}`);
        for (const name of names) await client.create(ConfigMaps, cm(paging, name));
        const pages = [await client.list<ConfigMap>(ConfigMaps, { namespace: paging, limit: 10 })];
        // Written after the first page: a paginated list is a snapshot, so it must not show up.
        await client.create(ConfigMaps, cm(paging, "item-late"));
        for (let token = pages[0].continue; token; token = pages.at(-1)?.continue) {
          pages.push(
            await client.list(ConfigMaps, { namespace: paging, limit: 10, continue: token }),
          );
        }
        assert.deepEqual(pages.map((p) => p.items.length), [10, 10, 5]);
        assert.deepEqual(pages.map((p) => p.remainingItemCount), [15, 5, undefined]);
        assert.deepEqual(pages.map((p) => p.continue !== undefined), [true, true, false]);
        assert.equal(new Set(pages.map((p) => p.resourceVersion)).size, 1, "one snapshot");
        const seen = pages.flatMap((p) => p.items.map((i) => i.metadata?.name));
        assert.deepEqual(seen, names, "every object exactly once, in key order");
        const everything = await client.list(ConfigMaps, { namespace: paging });
        assert.equal(everything.items.length, 26);
        assert.equal(everything.continue, undefined);
      });

      await t.step(
        "a watch from a list's resourceVersion replays ADDED, MODIFIED, DELETED",
        async () => {
          const watched = "watching";
          await createNamespace(client, watched);
          const { resourceVersion } = await client.list(ConfigMaps, { namespace: watched });
          await client.create(ConfigMaps, cm(watched, "w", { n: "1" }));
          await client.patch(ConfigMaps, "w", { data: { n: "2" } }, {
            type: "merge",
            namespace: watched,
          });
          await client.delete(ConfigMaps, "w", { namespace: watched });
          const events = await readEvents(client, {
            namespace: watched,
            resourceVersion,
            timeoutSeconds: 10,
          }, 3);
          assert.deepEqual(
            events.map((e) => e.type === "ERROR" ? ["ERROR"] : [e.type, e.object.data?.n]),
            [["ADDED", "1"], ["MODIFIED", "2"], ["DELETED", "2"]],
          );
        },
      );

      await t.step("a streaming watch ends its initial events with a bookmark", async () => {
        const events = await readEvents(client, {
          namespace: "paging",
          sendInitialEvents: true,
          timeoutSeconds: 10,
        }, 27);
        const added = events.filter((e) => e.type === "ADDED");
        assert.equal(added.length, 26);
        const last = events.at(-1);
        assert.equal(last?.type, "BOOKMARK");
        assert.equal(last.object.metadata?.annotations?.[INITIAL_EVENTS_END_ANNOTATION], "true");
        assert.match(last.object.metadata?.resourceVersion ?? "", /^\d+$/);
      });

      await t.step(
        "a quiet watch gets a progress bookmark before its timeout, then ends",
        async () => {
          const quiet = "quiet";
          await createNamespace(client, quiet);
          const { resourceVersion } = await client.list(ConfigMaps, { namespace: quiet });
          await client.create(ConfigMaps, cm(ns, "ticker"));
          // v1.36's watch cache sends a bookmark about 2 s before a watch's deadline
          // (and every minute otherwise), but only once it has seen progress: keep
          // writing elsewhere so that the quiet namespace's watch has some to hear of.
          let watching = true;
          const ticker = (async () => {
            for (let n = 0; watching; n++) {
              await client.patch(ConfigMaps, "ticker", { data: { n: String(n) } }, {
                type: "merge",
                namespace: ns,
              });
              await new Promise((resolve) => setTimeout(resolve, 250));
            }
          })();
          let events: WatchEvent<ConfigMap>[];
          try {
            events = await readEvents(client, {
              namespace: quiet,
              resourceVersion,
              allowWatchBookmarks: true,
              timeoutSeconds: 5,
            });
          } finally {
            watching = false;
            await ticker;
          }
          assert.ok(events.length >= 1, "at least one bookmark");
          for (const event of events) {
            assert.equal(event.type, "BOOKMARK");
            assert.deepEqual(Object.keys(event.object.metadata ?? {}), ["resourceVersion"]);
            assert.notEqual(event.object.metadata?.resourceVersion, resourceVersion, "progress");
          }
        },
      );

      await t.step(
        "apply to the status subresource of a CRD sets status; apply to the object cannot",
        async () => {
          await installWidgetCrd(client);
          const widget: Widget = {
            metadata: { namespace: ns, name: "w1" },
            spec: { environment: "dev", size: 1 },
          };
          const created = await client.apply(Widgets, widget, { fieldManager: "pgop-test" });
          assert.equal(created.metadata?.generation, 1);
          const withStatus = await client.apply<Widget>(Widgets, {
            metadata: { namespace: ns, name: "w1" },
            status: { phase: "Ready", observedGeneration: 1 },
          }, { fieldManager: "pgop-test", subresource: "status" });
          assert.deepEqual(withStatus.status, { phase: "Ready", observedGeneration: 1 });
          assert.equal(withStatus.metadata?.generation, 1, "a status write keeps the generation");
          const ignored = await client.apply<Widget>(Widgets, {
            ...widget,
            status: { phase: "Hacked" },
          }, { fieldManager: "pgop-test" });
          assert.equal(
            ignored.status?.phase,
            "Ready",
            "status through the main resource is ignored",
          );
          const status = await client.get<Widget>(Widgets, "w1", {
            namespace: ns,
            subresource: "status",
          });
          assert.equal(status.status?.phase, "Ready");
        },
      );

      await t.step(
        "protobuf: pages, a streaming watch and errors read as JSON has them; a CRD answers JSON",
        async () => {
          const view: MessageSchema = {
            1: {
              name: "metadata",
              type: "message",
              schema: {
                1: { name: "name", type: "string", omitEmpty: true },
                6: { name: "resourceVersion", type: "string", omitEmpty: true },
              },
            },
            2: { name: "data", type: "map", value: "string" },
          };
          const picked = (c: ConfigMap) => ({
            name: c.metadata?.name,
            resourceVersion: c.metadata?.resourceVersion,
            data: c.data ?? {},
          });
          const json = await client.list<ConfigMap>(ConfigMaps, { namespace: "paging", limit: 10 });
          const proto = await client.list<ConfigMap>(ConfigMaps, {
            namespace: "paging",
            limit: 10,
            protobuf: view,
          });
          assert.deepEqual(proto.items.map(picked), json.items.map(picked));
          assert.deepEqual(proto.items[0].metadata, {
            name: json.items[0].metadata?.name,
            resourceVersion: json.items[0].metadata?.resourceVersion,
          }, "only the schema's fields");
          assert.equal(proto.items[0].kind, "ConfigMap");
          assert.equal(proto.remainingItemCount, json.remainingItemCount);
          const rest = await client.list<ConfigMap>(ConfigMaps, {
            namespace: "paging",
            limit: 100,
            continue: proto.continue,
            protobuf: view,
          });
          assert.equal(rest.items.length, 16);
          assert.equal(rest.continue, undefined);

          const events: WatchEvent<ConfigMap>[] = [];
          for await (
            const event of client.watch<ConfigMap>(ConfigMaps, {
              namespace: "paging",
              sendInitialEvents: true,
              timeoutSeconds: 10,
              protobuf: view,
            })
          ) {
            events.push(event);
            if (event.type === "BOOKMARK") break;
          }
          assert.equal(events.filter((e) => e.type === "ADDED").length, 26);
          const bookmark = events.at(-1)?.object as ConfigMap;
          assert.equal(
            bookmark.metadata?.annotations?.[INITIAL_EVENTS_END_ANNOTATION],
            "true",
            "a bookmark's annotations are read though the view has none",
          );
          assert.match(bookmark.metadata?.resourceVersion ?? "", /^\d+$/);

          await assert.rejects(
            client.list({ ...ConfigMaps, plural: "nothings" }, { protobuf: view }),
            (err) => isNotFound(err) && err.code === 404,
          );
          const widgets = await client.list<Widget>(Widgets, { namespace: ns, protobuf: view });
          assert.equal(widgets.items[0]?.spec?.environment, "dev", "a CRD is read whole, as JSON");
        },
      );

      await t.step("onRequest reports verb, resource and HTTP code of every attempt", async () => {
        const seen: RequestInfo[] = [];
        const counted = await clientFor(cluster, { onRequest: (info) => seen.push(info) });
        try {
          await assert.rejects(counted.get(ConfigMaps, "nope", { namespace: ns }), isNotFound);
          await counted.create(ConfigMaps, cm(ns, "hooked"));
          await counted.apply(ConfigMaps, cm(ns, "hooked", { x: "1" }), {
            fieldManager: "pgop-test",
            force: true,
          });
          await counted.list(ConfigMaps, { namespace: ns });
          await counted.delete(ConfigMaps, "hooked", { namespace: ns });
          await counted.apply(Widgets, { metadata: { namespace: ns, name: "w2" } }, {
            fieldManager: "pgop-test",
          });
        } finally {
          counted.close();
        }
        assert.deepEqual(seen.map((i) => `${i.verb} ${i.resource} ${i.code}`), [
          "get configmaps 404",
          "create configmaps 201",
          "apply configmaps 200",
          "list configmaps 200",
          "delete configmaps 200",
          "apply widgets.test.pgop.dev 201",
        ]);
        for (const info of seen) {
          assert.ok(info.durationMs >= 0 && info.waitedMs >= 0);
        }
      });
    } finally {
      client.close();
    }
  });
});
