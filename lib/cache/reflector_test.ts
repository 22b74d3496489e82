import assert from "node:assert/strict";
import { ApiError, TransportError } from "../kube/errors.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeObject, ListPage, WatchEvent } from "../kube/types.ts";
import { FakeClock } from "../testing/fake_clock.ts";
import { ScriptedClient } from "../testing/scripted_client.ts";
import { Reflector, type ReflectorOptions } from "./reflector.ts";
import { INITIAL_EVENTS_END_ANNOTATION } from "./reflector_state.ts";
import { IndexedStore } from "./store.ts";

const obj = (name: string, rv: string): KubeObject => ({
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { namespace: "ns", name, resourceVersion: rv },
});
const page = (rv: string, items: KubeObject[], cont?: string): ListPage<KubeObject> => ({
  items,
  resourceVersion: rv,
  continue: cont,
});
const added = (o: KubeObject): WatchEvent<KubeObject> => ({ type: "ADDED", object: o });
const modified = (o: KubeObject): WatchEvent<KubeObject> => ({ type: "MODIFIED", object: o });
const deleted = (o: KubeObject): WatchEvent<KubeObject> => ({ type: "DELETED", object: o });
const bookmark = (rv: string, end = false): WatchEvent<KubeObject> => ({
  type: "BOOKMARK",
  object: {
    metadata: {
      resourceVersion: rv,
      ...(end ? { annotations: { [INITIAL_EVENTS_END_ANNOTATION]: "true" } } : {}),
    },
  },
});
const gone = () =>
  new ApiError(410, { code: 410, reason: "Expired", message: "too old resource version" });

/** Runs a reflector against a scripted client on a fake clock and records what it says. */
function harness(options: ReflectorOptions<KubeObject> = {}) {
  const clock = new FakeClock();
  const client = new ScriptedClient();
  const store = new IndexedStore<KubeObject>();
  const seen: string[] = [];
  const lists: string[] = [];
  const restarts: string[] = [];
  const errors: unknown[] = [];
  const name = (o: KubeObject) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`;
  const reflector = new Reflector(client, Resources.databases, store, {
    clock,
    random: () => 0,
    useWatchList: false,
    handler: {
      onAdd: (o) => seen.push(`add ${name(o)}`),
      onUpdate: (a, b) => seen.push(`update ${name(a)} -> ${name(b)}`),
      onDelete: (o) => seen.push(`delete ${name(o)}`),
    },
    hooks: {
      onList: ({ reason, streaming }) => lists.push(`${reason}${streaming ? " streaming" : ""}`),
      onWatchRestart: ({ reason, resourceVersion }) =>
        restarts.push(`${reason} ${resourceVersion}`),
      onError: (error) => errors.push(error),
    },
    ...options,
  });
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  return {
    clock,
    client,
    store,
    reflector,
    seen,
    lists,
    restarts,
    errors,
    start() {
      running = reflector.run(controller.signal);
    },
    async stop() {
      controller.abort();
      await running;
    },
    methods: () => client.calls.map((c) => c.method),
    lastWatch: () => client.callsOf("watch").at(-1)?.options,
  };
}

/** Lets the reflector run until `condition` holds (microtasks only; no time passes). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (condition()) return;
    await Promise.resolve();
  }
  throw new Error("Condition not reached");
}

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

Deno.test("Reflector passes selectors and a watch timeout randomised in [min, 2·min)", async () => {
  const h = harness({
    namespace: "prod",
    labelSelector: "app=pg",
    fieldSelector: "metadata.name=a",
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
