import assert from "node:assert/strict";
import { Resources } from "../kube/resource.ts";
import { ScriptedClient } from "../../tests/support/scripted_client.ts";
import { Reflector } from "./reflector.ts";
import { IndexedStore } from "./store.ts";
import { ApiError, TransportError } from "../kube/errors.ts";
import type { KubeObject } from "../kube/types.ts";
import {
  added,
  bookmark,
  gone,
  harness,
  modified,
  obj,
  page,
  until,
} from "../../tests/support/reflector_harness.ts";

Deno.test("Reflector backs off before relisting when a 410 follows a list at once", async () => {
  const h = harness();
  h.client.onList(page("10", [obj("a", "1")]), page("11", [obj("a", "1")]));
  h.client.onWatch({ then: gone() });
  h.start();
  await until(() => h.errors.length === 1);
  assert.equal(h.client.callsOf("list").length, 1, "no immediate second list");
  h.client.onWatch({ then: "hang" });
  await h.clock.advance(800);
  await h.client.settled();
  assert.deepEqual(h.methods(), ["list", "watch", "list", "watch"]);
  assert.deepEqual(h.seen, ["add a@1"]);
  await h.stop();
});

Deno.test("Reflector restarts with one full list when a continue token expires mid-list", async () => {
  const h = harness({ pageSize: 1 });
  h.client.onList(
    page("10", [obj("a", "1")], "c1"),
    gone(),
    page("12", [obj("a", "1"), obj("b", "2")]),
  );
  h.client.onWatch({ then: "hang" });
  h.start();
  await h.client.settled();
  assert.deepEqual(h.client.callsOf("list").map((c) => c.options), [
    { limit: 1, resourceVersion: "" },
    { limit: 1, continue: "c1" },
    { resourceVersion: "" },
  ]);
  assert.deepEqual(h.seen, ["add a@1", "add b@2"]);
  assert.equal(h.lastWatch()?.resourceVersion, "12");
  await h.stop();
});

Deno.test("Reflector uses a streaming list and keeps watching on the same stream", async () => {
  const h = harness({ useWatchList: true });
  h.client.onWatch({
    events: [
      added(obj("a", "1")),
      added(obj("b", "2")),
      bookmark("30", true),
      modified(obj("a", "31")),
    ],
  });
  h.start();
  await h.client.settled();
  assert.deepEqual(h.methods(), ["watch"]);
  assert.deepEqual(h.lastWatch(), {
    allowWatchBookmarks: true,
    timeoutSeconds: 300,
    sendInitialEvents: true,
    resourceVersionMatch: "NotOlderThan",
    resourceVersion: "",
  });
  assert.deepEqual(h.seen, ["add a@1", "add b@2", "update a@1 -> a@31"]);
  assert.equal(h.reflector.hasSynced, true);
  assert.deepEqual(h.lists, ["initial streaming"]);
  await h.stop();
});

Deno.test("Reflector falls back to paginated lists when the server rejects a streaming list, for good", async () => {
  const h = harness({ useWatchList: true });
  h.client.onWatch({ then: new ApiError(422, { reason: "Invalid" }) });
  h.client.onList(page("10", [obj("a", "1")]));
  h.client.onWatch({ then: "hang" });
  h.start();
  await h.client.settled();
  await h.clock.advance(60_000);
  h.client.onList(page("20", [obj("a", "1")]));
  h.client.onWatch({ then: "hang" });
  h.client.finish(gone());
  await h.client.settled();
  assert.deepEqual(h.methods(), ["watch", "list", "watch", "list", "watch"]);
  assert.equal(h.reflector.usesWatchList, false);
  assert.deepEqual(h.lists, ["initial streaming", "fallback", "expired"]);
  assert.deepEqual(h.seen, ["add a@1"]);
  await h.stop();
});

Deno.test("Reflector falls back when the stream ends before the initial-events-end bookmark", async () => {
  const h = harness({ useWatchList: true });
  h.client.onWatch({ events: [added(obj("partial", "1"))], then: "end" });
  h.client.onList(page("10", [obj("a", "1")]));
  h.client.onWatch({ then: "hang" });
  h.start();
  await h.client.settled();
  assert.deepEqual(h.methods(), ["watch", "list", "watch"]);
  assert.deepEqual(h.seen, ["add a@1"], "events of the incomplete stream are never emitted");
  await h.stop();
});

Deno.test("Reflector reports a 403 on list and retries with growing backoff, never hot-looping", async () => {
  const h = harness();
  const forbidden = () => new ApiError(403, { reason: "Forbidden" });
  h.client.onList(forbidden(), forbidden());
  h.start();
  await until(() => h.errors.length === 1);
  await h.clock.advance(800);
  await until(() => h.errors.length === 2);
  assert.equal(h.client.callsOf("list").length, 2);
  h.client.onList(page("10", [obj("a", "1")]));
  h.client.onWatch({ then: "hang" });
  await h.clock.advance(1599);
  assert.equal(h.client.callsOf("list").length, 2, "second delay is 1600 ms");
  await h.clock.advance(1);
  await h.client.settled();
  assert.equal(h.reflector.hasSynced, true);
  assert.deepEqual(h.seen, ["add a@1"]);
  await h.stop();
});

Deno.test("Reflector stores transformed objects (managedFields dropped by default)", async () => {
  const h = harness();
  const fat = {
    ...obj("a", "1"),
    metadata: { ...obj("a", "1").metadata, managedFields: [{ manager: "x" }] },
  };
  h.client.onList(page("10", [fat]));
  h.client.onWatch({ then: "hang" });
  h.start();
  await h.client.settled();
  assert.equal(h.store.get("ns/a")?.metadata?.managedFields, undefined);
  await h.stop();
});

Deno.test("Reflector reports a throwing handler and carries on", async () => {
  const h = harness({
    handler: {
      onAdd: () => {
        throw new Error("boom");
      },
    },
  });
  h.client.onList(page("10", [obj("a", "1"), obj("b", "2")]));
  h.client.onWatch({ then: "hang" });
  h.start();
  await h.client.settled();
  assert.equal(h.errors.length, 2);
  assert.equal(h.store.size, 2);
  await h.stop();
});

Deno.test("Reflector.run() ends on abort while waiting for a response or backing off", async () => {
  const waiting = harness();
  waiting.start();
  await waiting.client.settled();
  await waiting.stop();

  const backingOff = harness();
  backingOff.client.onList(new TransportError("GET", "refused"));
  backingOff.start();
  await until(() => backingOff.clock.pendingTimers === 1);
  await backingOff.stop();
  assert.equal(backingOff.clock.pendingTimers, 0);
});

Deno.test("Reflector rejects a second concurrent run() and bad options", async () => {
  const h = harness();
  h.start();
  await h.client.settled();
  await assert.rejects(h.reflector.run(new AbortController().signal), /already running/);
  await h.stop();
  const client = new ScriptedClient();
  const store = new IndexedStore<KubeObject>();
  assert.throws(
    () => new Reflector(client, Resources.databases, store, { pageSize: 0 }),
    RangeError,
  );
  assert.throws(
    () => new Reflector(client, Resources.databases, store, { minWatchTimeoutSeconds: 0 }),
    RangeError,
  );
});
