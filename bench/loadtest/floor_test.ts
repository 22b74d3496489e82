import assert from "node:assert/strict";
import type { Database } from "../../lib/database/types.ts";
import type { Resource } from "../../lib/kube/resource.ts";
import type { KubeClient, KubeObject } from "../../lib/kube/types.ts";
import { flushMicrotasks } from "../../tests/support/fake_clock.ts";
import { ScriptedClient } from "../../tests/support/scripted_client.ts";
import { FloorWriter } from "./floor.ts";

const db: Database = {
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { name: "a", namespace: "ns", uid: "u1", generation: 1, resourceVersion: "1" },
  spec: {
    image: "postgres:14",
    replicas: 1,
    databaseName: "app",
    username: "app",
    storage: { size: "1Gi" },
  },
};

function fakeClient(scripted: ScriptedClient, writes: string[]): KubeClient {
  return {
    list: (r, o) => scripted.list(r, o),
    watch: (r, o) => scripted.watch(r, o),
    get: () => Promise.reject(new Error("unexpected get")),
    update: () => Promise.reject(new Error("unexpected update")),
    patch: () => Promise.reject(new Error("unexpected patch")),
    delete: () => Promise.reject(new Error("unexpected delete")),
    create: <T extends KubeObject>(resource: Resource, object: T) => {
      writes.push(`create ${resource.plural} ${object.metadata?.name}`);
      return Promise.resolve({ ...object, metadata: { ...object.metadata, generation: 1 } });
    },
    apply: <T extends KubeObject>(resource: Resource, object: T) => {
      const phase = (object as unknown as Database).status?.phase;
      writes.push(`apply ${resource.plural} ${object.metadata?.name} ${phase}`);
      return Promise.resolve(object);
    },
  };
}

Deno.test("FloorWriter creates the seven children, then writes Creating and Ready once each", async () => {
  const scripted = new ScriptedClient()
    .onList({ items: [db], resourceVersion: "1" }, { items: [], resourceVersion: "1" })
    .onWatch({ then: "hang" }, { then: "hang" });
  const writes: string[] = [];
  const floor = new FloorWriter({ client: fakeClient(scripted, writes), workers: 2 });
  const stop = new AbortController();
  const running = floor.run(stop.signal);
  await flushMicrotasks(50);
  assert.ok(floor.synced);
  assert.deepEqual(writes, [
    "create secrets a-app",
    "create secrets a-replication",
    "create services a-headless",
    "create services a",
    "create services a-rw",
    "create services a-ro",
    "create statefulsets a",
    "apply databases a Creating",
  ]);
  const ready = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "a", namespace: "ns", generation: 1, resourceVersion: "5" },
    spec: { replicas: 1 },
    status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1 },
  };
  scripted.send({ type: "MODIFIED", object: ready });
  await flushMicrotasks(50);
  scripted.send({
    type: "MODIFIED",
    object: { ...ready, metadata: { ...ready.metadata, resourceVersion: "6" } },
  });
  await flushMicrotasks(50);
  assert.deepEqual(writes.slice(8), ["apply databases a Ready"]);
  assert.equal(floor.tasks, 2);
  assert.equal(floor.errors, 0);
  assert.equal(floor.queueDepth, 0);
  stop.abort();
  await running;
});

Deno.test("FloorWriter rejects a worker count below 1", () => {
  assert.throws(
    () => new FloorWriter({ client: fakeClient(new ScriptedClient(), []), workers: 0 }),
    RangeError,
  );
});
