import assert from "node:assert/strict";
import { TransportError } from "../kube/errors.ts";
import type { ScriptedClient } from "../../tests/support/scripted_client.ts";
import {
  added,
  bookmark,
  deleted,
  gone,
  harness,
  modified,
  obj,
  page,
  until,
} from "../../tests/support/reflector_harness.ts";

Deno.test("Reflector lists page by page, then watches from the list's resourceVersion", async () => {
  const h = harness({ pageSize: 2 });
  h.client.onList(page("100", [obj("a", "1"), obj("b", "2")], "c1"), page("100", [obj("c", "3")]));
  h.client.onWatch({ then: "hang" });
  h.start();
  await h.client.settled();
  const [first, second] = h.client.callsOf("list").map((c) => c.options);
  assert.deepEqual(first, { limit: 2, resourceVersion: "" });
  assert.deepEqual(second, { limit: 2, continue: "c1" });
  assert.deepEqual(h.lastWatch(), {
    resourceVersion: "100",
    allowWatchBookmarks: true,
    timeoutSeconds: 300,
  });
  assert.deepEqual(h.seen, ["add a@1", "add b@2", "add c@3"]);
  assert.equal(h.reflector.hasSynced, true);
  assert.equal(h.reflector.lastSyncResourceVersion, "100");
  assert.deepEqual(h.lists, ["initial"]);
  await h.stop();
});

Deno.test("Reflector passes selectors, the protobuf view and a watch timeout randomised in [min, 2·min)", async () => {
  const protobuf = { 1: { name: "metadata", type: "message", schema: {} } } as const;
  const h = harness({
    namespace: "prod",
    labelSelector: "app=pg",
    fieldSelector: "metadata.name=a",
    protobuf,
    minWatchTimeoutSeconds: 300,
    random: () => 0.999,
  });
  h.client.onList(page("7", []));
  h.client.onWatch({ then: "hang" });
  h.start();
  await h.client.settled();
  const selectors = {
    namespace: "prod",
    labelSelector: "app=pg",
    fieldSelector: "metadata.name=a",
    protobuf,
  };
  assert.deepEqual(h.client.callsOf("list")[0].options, {
    ...selectors,
    limit: 500,
    resourceVersion: "",
  });
  assert.deepEqual(h.lastWatch(), {
    ...selectors,
    resourceVersion: "7",
    allowWatchBookmarks: true,
    timeoutSeconds: 599,
  });
  await h.stop();
});

Deno.test("Reflector resumes from the last resourceVersion after a stream end, without relisting", async () => {
  const h = harness();
  h.client.onList(page("10", [obj("a", "5")]));
  h.client.onWatch(
    { events: [modified(obj("a", "11")), added(obj("b", "12"))], then: "end" },
    { events: [deleted(obj("a", "13"))], then: "end" },
    { then: "hang" },
  );
  h.start();
  await h.client.settled();
  assert.deepEqual(h.methods(), ["list", "watch", "watch", "watch"]);
  assert.deepEqual(h.client.callsOf("watch").map((c) => c.options.resourceVersion), [
    "10",
    "12",
    "13",
  ]);
  assert.deepEqual(h.seen, ["add a@5", "update a@5 -> a@11", "add b@12", "delete a@13"]);
  assert.deepEqual(h.restarts, ["ended 12", "ended 13"]);
  assert.deepEqual(h.lists, ["initial"]);
  await h.stop();
});

Deno.test("Reflector backs off after a transport error and resumes from the last resourceVersion", async () => {
  const h = harness();
  h.client.onList(page("10", []));
  h.client.onWatch({
    events: [added(obj("a", "11"))],
    then: new TransportError("GET /watch", "reset"),
  });
  h.start();
  await until(() => h.errors.length === 1 && h.clock.pendingTimers === 1);
  h.client.onWatch({ then: "hang" });
  await h.clock.advance(799);
  assert.equal(h.client.callsOf("watch").length, 1, "no retry before the 800 ms backoff");
  await h.clock.advance(1);
  await h.client.settled();
  assert.equal(h.lastWatch()?.resourceVersion, "11");
  assert.deepEqual(h.methods(), ["list", "watch", "watch"]);
  assert.deepEqual(h.restarts, ["error 11"]);
  await h.stop();
});

Deno.test("Reflector treats a very short empty watch as a failure and backs off", async () => {
  const h = harness();
  h.client.onList(page("10", []));
  h.client.onWatch({ then: "end" });
  h.start();
  await until(() => h.clock.pendingTimers === 1);
  h.client.onWatch({ then: "hang" });
  await h.clock.advance(800);
  await h.client.settled();
  assert.deepEqual(h.methods(), ["list", "watch", "watch"]);
  assert.equal(h.lastWatch()?.resourceVersion, "10");
  await h.stop();
});

Deno.test("Reflector: a bookmark advances the resourceVersion only", async () => {
  const h = harness();
  h.client.onList(page("10", [obj("a", "5")]));
  h.client.onWatch({ events: [bookmark("150")], then: "end" }, { then: "hang" });
  h.start();
  await h.client.settled();
  assert.deepEqual(h.seen, ["add a@5"]);
  assert.equal(h.reflector.lastSyncResourceVersion, "150");
  assert.equal(h.store.resourceVersion, "150");
  assert.equal(h.lastWatch()?.resourceVersion, "150");
  await h.stop();
});

Deno.test("Reflector ignores a MODIFIED with the stored resourceVersion and a DELETED of an unknown object", async () => {
  const h = harness();
  h.client.onList(page("10", [obj("a", "5")]));
  h.client.onWatch({ events: [modified(obj("a", "5")), deleted(obj("ghost", "11"))] });
  h.start();
  await h.client.settled();
  assert.deepEqual(h.seen, ["add a@5"]);
  assert.equal(h.reflector.lastSyncResourceVersion, "11");
  await h.stop();
});

const expireByError = (client: ScriptedClient) => client.finish(gone());
const expireByEvent = (client: ScriptedClient) =>
  client.send({ type: "ERROR", object: { code: 410, reason: "Expired" } });

for (const [how, expire] of [["error", expireByError], ["ERROR event", expireByEvent]] as const) {
  Deno.test(`Reflector relists on 410 Gone (${how}) and emits only the difference`, async () => {
    const h = harness();
    h.client.onList(page("10", [obj("same", "1"), obj("changed", "2"), obj("vanished", "3")]));
    h.client.onWatch({ then: "hang" });
    h.start();
    await h.client.settled();
    await h.clock.advance(60_000);
    h.client.onList(page("20", [obj("same", "1"), obj("changed", "15"), obj("new", "16")]));
    h.client.onWatch({ then: "hang" });
    expire(h.client);
    await h.client.settled();
    assert.deepEqual(h.methods(), ["list", "watch", "list", "watch"]);
    assert.deepEqual(h.client.callsOf("list")[1].options, { limit: 500, resourceVersion: "" });
    assert.deepEqual(h.seen.slice(3), [
      "add new@16",
      "update changed@2 -> changed@15",
      "delete vanished@3",
    ]);
    assert.deepEqual(h.lists, ["initial", "expired"]);
    assert.equal(h.lastWatch()?.resourceVersion, "20");
    assert.deepEqual(h.store.keys().sort(), ["ns/changed", "ns/new", "ns/same"]);
    assert.equal(h.client.openStreams, 1, "the expired stream was closed");
    assert.deepEqual(h.errors, [], "a relist after a healthy period is not an error");
    await h.stop();
  });
}
