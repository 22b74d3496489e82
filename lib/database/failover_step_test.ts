import assert from "node:assert/strict";
import type { Node, Pod } from "kubernetes-types/core/v1.d.ts";
import { ApiError } from "../kube/errors.ts";
import type { EventInfo, EventRecorder } from "../kube/event_recorder.ts";
import type { Resource } from "../kube/resource.ts";
import type { KubeClient } from "../kube/types.ts";
import { checkFailover, NOT_LOST_RETRY_MS, reportFailover, soonest } from "./failover_step.ts";
import type { Database } from "./types.ts";

const ROLE = "database.example.com/role";
const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d+Z$/, "Z");
const signal = new AbortController().signal;

const db = {
  metadata: { name: "db", namespace: "ns", uid: "u" },
  spec: {
    image: "postgres:15",
    replicas: 2,
    databaseName: "a",
    username: "a",
    storage: { size: "1Gi" },
  },
  status: { primary: "db-0" },
} as Database;

function pod(name: string, role: string, since: number, node: string, ready = false): Pod {
  return {
    metadata: { name, labels: { [ROLE]: role } },
    spec: { nodeName: node, containers: [] },
    status: {
      conditions: [{
        type: "Ready",
        status: ready ? "True" : "False",
        lastTransitionTime: at(since),
      }],
      containerStatuses: [{
        name: "postgres",
        ready,
        restartCount: 0,
        image: "",
        imageID: "",
        state: { running: { startedAt: at(-100) } },
      }],
    },
  };
}

const pods = [pod("db-0", "primary", 0, "n1"), pod("db-1", "replica", 2, "n2")];

/** Answers gets from `objects` (plural/name), 404 for the rest; records each get. */
function reader(objects: Record<string, unknown>, gets: string[]): KubeClient {
  return {
    get(resource: Resource, name: string) {
      const key = `${resource.plural}/${name}`;
      gets.push(key);
      if (key in objects) return Promise.resolve(objects[key]);
      return Promise.reject(new ApiError(404, { reason: "NotFound" }));
    },
  } as unknown as KubeClient;
}

function events(recorded: EventInfo[]): EventRecorder {
  return { record: (_: unknown, e: EventInfo) => (recorded.push(e), Promise.resolve()) };
}

const node = (status: string): Node => ({ status: { conditions: [{ type: "Ready", status }] } });

Deno.test("checkFailover() makes no request before the delay and asks to be woken at its end", async () => {
  const gets: string[] = [];
  const check = await checkFailover(db, pods, {
    client: reader({}, gets),
    events: events([]),
    now: T0 + 4_000,
    delayMs: 10_000,
    signal,
  });
  assert.deepEqual(check, { requeueAfterMs: 6_000 });
  assert.deepEqual(gets, []);
});

Deno.test("checkFailover() reads the pod and the nodes fresh, then fails over", async () => {
  const gets: string[] = [];
  const client = reader({
    "pods/db-0": pods[0],
    "nodes/n1": node("Unknown"),
    "nodes/n2": node("True"),
  }, gets);
  const check = await checkFailover(db, pods, {
    client,
    events: events([]),
    now: T0 + 10_000,
    delayMs: 10_000,
    signal,
  });
  assert.equal(check.failover?.to, "db-1");
  assert.deepEqual(gets.sort(), ["nodes/n1", "nodes/n2", "pods/db-0"]);
});

Deno.test("checkFailover() trusts the fresh read over the cache: a Ready pod or node is no fail-over", async () => {
  const ready = pod("db-0", "primary", 9, "n1", true);
  for (
    const objects of [
      { "pods/db-0": ready, "nodes/n1": node("Unknown"), "nodes/n2": node("True") },
      { "pods/db-0": pods[0], "nodes/n1": node("True"), "nodes/n2": node("True") },
    ]
  ) {
    const check = await checkFailover(db, pods, {
      client: reader(objects, []),
      events: events([]),
      now: T0 + 60_000,
      delayMs: 10_000,
      signal,
    });
    assert.deepEqual(check, { requeueAfterMs: NOT_LOST_RETRY_MS });
  }
});

Deno.test("checkFailover() reports a lost primary whose standbys are all on lost nodes", async () => {
  const recorded: EventInfo[] = [];
  const client = reader({ "pods/db-0": pods[0], "nodes/n1": node("Unknown") }, []);
  const check = await checkFailover(db, pods, {
    client,
    events: events(recorded),
    now: T0 + 60_000,
    delayMs: 10_000,
    signal,
  });
  assert.equal(check.failover, undefined);
  assert.equal(recorded[0]?.reason, "FailoverBlocked");
});

Deno.test("reportFailover() records a Warning event, counts it, and returns the status record", async () => {
  const recorded: EventInfo[] = [];
  let counted = 0;
  const failover = { from: "db-0", to: "db-1", reason: "lost" };
  const last = await reportFailover(events(recorded), db, { failover }, {
    time: at(60),
    onFailover: () => counted++,
  });
  assert.deepEqual(last, { ...failover, time: at(60) });
  assert.equal(counted, 1);
  assert.equal(recorded[0]?.type, "Warning");
  assert.equal(recorded[0]?.reason, "FailedOver");
  assert.match(recorded[0]?.message ?? "", /asynchronous replication/);
  assert.equal(await reportFailover(events(recorded), db, {}, { time: at(60) }), undefined);
});

Deno.test("soonest() keeps the earlier requeue", () => {
  assert.deepEqual(soonest(undefined, undefined), undefined);
  assert.deepEqual(soonest({ requeueAfterMs: 5_000 }, 1_000), { requeueAfterMs: 1_000 });
  assert.deepEqual(soonest({ requeueAfterMs: 500 }, 1_000), { requeueAfterMs: 500 });
  assert.deepEqual(soonest(undefined, 2_000), { requeueAfterMs: 2_000 });
});
