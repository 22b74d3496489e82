import assert from "node:assert/strict";
import type { Database } from "../../lib/database/types.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { ScriptedClient } from "../../tests/support/scripted_client.ts";
import { WatchFailedError } from "./list_watch.ts";
import { ReadyTracker } from "./tracker.ts";

function db(name: string, rv: string, phase?: string): KubeObject {
  return {
    apiVersion: "database.example.com/v1",
    kind: "Database",
    metadata: { name, namespace: "ns", resourceVersion: rv },
    ...(phase ? { status: { phase } } : {}),
  } as Database;
}

Deno.test("ReadyTracker records first status and Ready once each, from the list's resourceVersion", async () => {
  const client = new ScriptedClient()
    .onList({ items: [db("a", "5")], resourceVersion: "10" })
    .onWatch({
      events: [
        { type: "ADDED", object: db("b", "11") },
        { type: "MODIFIED", object: db("a", "12", "Creating") },
        { type: "MODIFIED", object: db("a", "13", "Ready") },
        { type: "MODIFIED", object: db("a", "14", "Ready") },
        { type: "MODIFIED", object: db("b", "15", "Ready") },
      ],
      then: "hang",
    });
  let t = 0;
  const tracker = new ReadyTracker(client, { labelSelector: "run=x", now: () => ++t });
  const stop = new AbortController();
  let listed = false;
  const running = tracker.run(stop.signal, () => (listed = true));
  await tracker.whenReady(2);
  assert.ok(listed);
  assert.deepEqual(tracker.counts, { seen: 2, firstStatus: 2, ready: 2 });
  assert.deepEqual(tracker.milestones().get("ns/a"), { firstStatusMs: 1, readyMs: 2 });
  assert.deepEqual(tracker.milestones().get("ns/b"), { firstStatusMs: 3, readyMs: 4 });
  const watch = client.callsOf("watch")[0];
  assert.equal(watch.options.resourceVersion, "10");
  assert.equal(watch.options.labelSelector, "run=x");
  stop.abort();
  await running;
});

Deno.test("ReadyTracker re-opens an ended watch from the last resourceVersion and relists on 410", async () => {
  const client = new ScriptedClient()
    .onList({ items: [], resourceVersion: "1" }, {
      items: [db("c", "30", "Ready")],
      resourceVersion: "30",
    })
    .onWatch(
      { events: [{ type: "ADDED", object: db("a", "2") }], then: "end" },
      {
        events: [{ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } }],
        then: "hang",
      },
      { events: [], then: "hang" },
    );
  const tracker = new ReadyTracker(client, { labelSelector: "run=x" });
  const stop = new AbortController();
  const running = tracker.run(stop.signal);
  await tracker.whenReady(1);
  await client.settled();
  const watches = client.callsOf("watch").map((c) => c.options.resourceVersion);
  assert.deepEqual(watches, ["1", "2", "30"]);
  assert.deepEqual(tracker.requests, { lists: 2, watches: 3 });
  stop.abort();
  await running;
});

Deno.test("ReadyTracker.run() rejects on a watch ERROR other than 410", async () => {
  const client = new ScriptedClient()
    .onList({ items: [], resourceVersion: "1" })
    .onWatch({
      events: [{ type: "ERROR", object: { kind: "Status", code: 403, message: "forbidden" } }],
    });
  const tracker = new ReadyTracker(client, { labelSelector: "run=x" });
  await assert.rejects(tracker.run(new AbortController().signal), WatchFailedError);
});
