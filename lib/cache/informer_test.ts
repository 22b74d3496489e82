import assert from "node:assert/strict";
import { Resources } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { ScriptedClient } from "../../tests/support/scripted_client.ts";
import { fieldIndexer, namespaceIndexer } from "./indexers.ts";
import { CacheSyncTimeoutError, Informer } from "./informer.ts";

const db = (name: string, rv: string, environment = "dev"): KubeObject & { spec: unknown } => ({
  metadata: { namespace: "prod", name, resourceVersion: rv },
  spec: { environment },
});

function setup() {
  const clock = new FakeClock();
  const client = new ScriptedClient();
  const errors: unknown[] = [];
  const informer = new Informer<KubeObject>(client, Resources.databases, {
    clock,
    random: () => 0,
    useWatchList: false,
    indexers: { namespace: namespaceIndexer, "spec.environment": fieldIndexer("spec.environment") },
    hooks: { onError: (error) => errors.push(error) },
  });
  const controller = new AbortController();
  return {
    clock,
    client,
    informer,
    errors,
    controller,
    run: () => informer.run(controller.signal),
  };
}

Deno.test("Informer fans events out to every handler and serves indexed reads", async () => {
  const s = setup();
  const a: string[] = [];
  const b: string[] = [];
  s.informer.addHandler({ onAdd: (o) => a.push(`add ${o.metadata?.name}`) });
  const removeB = s.informer.addHandler({
    onAdd: (o) => b.push(`add ${o.metadata?.name}`),
    onUpdate: (_old, o) => b.push(`update ${o.metadata?.name}`),
  });
  s.client.onList({ items: [db("x", "1", "production"), db("y", "2")], resourceVersion: "5" });
  s.client.onWatch({ then: "hang" });
  const running = s.run();
  await s.informer.waitForSync(s.controller.signal);
  assert.equal(s.informer.hasSynced, true);
  assert.deepEqual(a, ["add x", "add y"]);
  assert.deepEqual(b, ["add x", "add y"]);
  const prod = s.informer.store.list({ fields: { "spec.environment": "production" } });
  assert.deepEqual(prod.map((o) => o.metadata?.name), ["x"]);
  removeB();
  await s.client.settled();
  s.client.send({ type: "MODIFIED", object: db("y", "6") });
  await s.client.settled();
  assert.deepEqual(b, ["add x", "add y"], "a removed handler hears nothing more");
  assert.equal(s.informer.lastSyncResourceVersion, "6");
  s.controller.abort();
  await running;
});

Deno.test("Informer.addHandler() replays the cached objects as adds to a late handler", async () => {
  const s = setup();
  s.client.onList({ items: [db("x", "1")], resourceVersion: "5" });
  s.client.onWatch({ then: "hang" });
  const running = s.run();
  await s.informer.waitForSync();
  const late: string[] = [];
  s.informer.addHandler({ onAdd: (o) => late.push(o.metadata?.name ?? "") });
  assert.deepEqual(late, ["x"]);
  s.controller.abort();
  await running;
});

Deno.test("Informer: a throwing handler does not stop the others and is reported", async () => {
  const s = setup();
  const heard: string[] = [];
  s.informer.addHandler({
    onAdd: () => {
      throw new Error("boom");
    },
  });
  s.informer.addHandler({ onAdd: (o) => heard.push(o.metadata?.name ?? "") });
  s.client.onList({ items: [db("x", "1")], resourceVersion: "5" });
  s.client.onWatch({ then: "hang" });
  const running = s.run();
  await s.client.settled();
  assert.deepEqual(heard, ["x"]);
  assert.equal(s.errors.length, 1);
  s.controller.abort();
  await running;
});

Deno.test("Informer.waitForSync() rejects with CacheSyncTimeoutError naming the resource", async () => {
  const s = setup();
  const running = s.run();
  const waiting = s.informer.waitForSync(s.controller.signal, 5_000);
  const outcome = assert.rejects(waiting, (error: unknown) => {
    assert.ok(error instanceof CacheSyncTimeoutError);
    assert.equal(error.name, "CacheSyncTimeoutError");
    assert.equal(error.resource, "databases.database.example.com");
    assert.match(error.message, /"databases\.database\.example\.com"/);
    return true;
  });
  await s.clock.advance(5_000);
  await outcome;
  s.controller.abort();
  await running;
  assert.equal(s.clock.pendingTimers, 0);
});

Deno.test("Informer.waitForSync() rejects with the signal's reason on abort", async () => {
  const s = setup();
  const controller = new AbortController();
  const waiting = s.informer.waitForSync(controller.signal);
  controller.abort(new Error("shutting down"));
  await assert.rejects(waiting, /shutting down/);
  assert.equal(s.clock.pendingTimers, 0);
  assert.throws(() => s.informer.waitForSync(undefined, -1), RangeError);
});
