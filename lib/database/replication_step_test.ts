import assert from "node:assert/strict";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { Pod } from "kubernetes-types/core/v1.d.ts";
import { ApiError } from "../kube/errors.ts";
import type { EventInfo, EventRecorder } from "../kube/event_recorder.ts";
import type { Resource } from "../kube/resource.ts";
import type { DeleteOptions, KubeClient, KubeObject } from "../kube/types.ts";
import {
  applyRoles,
  databasePods,
  recreateForParallel,
  ROLE_RETRY_MS,
  roleRequeue,
  SWITCHOVER_POLL_MS,
} from "./replication_step.ts";
import { API_VERSION, type Database, KIND } from "./types.ts";

const db = {
  metadata: { name: "db", namespace: "ns", uid: "db-uid" },
  spec: { image: "postgres:15", databaseName: "a", username: "a", storage: { size: "1Gi" } },
} as Database;
const signal = new AbortController().signal;

function events(recorded: EventInfo[]): EventRecorder {
  return {
    record: (_: KubeObject, event: EventInfo) => (recorded.push(event), Promise.resolve()),
  } as EventRecorder;
}

function statefulSet(policy: string | undefined, deleting = false): StatefulSet {
  return {
    metadata: {
      name: "db",
      namespace: "ns",
      uid: "sts-uid",
      ownerReferences: [{
        apiVersion: API_VERSION,
        kind: KIND,
        name: "db",
        uid: "db-uid",
        controller: true,
      }],
      ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    },
    spec: {
      ...(policy ? { podManagementPolicy: policy } : {}),
      selector: {},
      serviceName: "db-headless",
      template: {},
    },
  };
}

Deno.test("recreateForParallel() deletes an OrderedReady StatefulSet once, orphaning its pods", async () => {
  const deletes: unknown[] = [];
  const client = {
    delete(resource: Resource, name: string, options: DeleteOptions) {
      deletes.push([resource.plural, name, options.propagationPolicy, options.preconditions]);
      return Promise.resolve();
    },
  } as unknown as KubeClient;
  const recorded: EventInfo[] = [];
  const run = (sts: StatefulSet | undefined) =>
    recreateForParallel(client, events(recorded), db, sts, signal);
  assert.equal(await run(undefined), false);
  assert.equal(await run(statefulSet("Parallel")), false);
  assert.equal(await run(statefulSet("OrderedReady")), true);
  assert.equal(await run(statefulSet("OrderedReady", true)), true, "waits while it goes");
  assert.deepEqual(deletes, [["statefulsets", "db", "Orphan", { uid: "sts-uid" }]]);
  assert.deepEqual(recorded.map((e) => e.reason), ["StatefulSetRecreated"]);
});

Deno.test("applyRoles() says a plan is stale on a conflict, and reports a finished request", async () => {
  const conflict = {
    patch: () => Promise.reject(new ApiError(409, undefined)),
  } as unknown as KubeClient;
  const recorded: EventInfo[] = [];
  const stale = await applyRoles(conflict, events(recorded), db, {
    primary: "db-0",
    patches: [{ pod: "db-0", patch: { metadata: {} }, resourceVersion: "1" }],
  }, signal);
  assert.equal(stale, false);
  const ok = { patch: () => Promise.resolve({}) } as unknown as KubeClient;
  const done = await applyRoles(ok, events(recorded), db, {
    primary: "db-1",
    patches: [],
    switchover: { outcome: "refused", message: "no" },
  }, signal);
  assert.equal(done, true);
  assert.deepEqual(recorded.map((e) => [e.type, e.reason]), [["Warning", "SwitchoverRefused"]]);
});

Deno.test("databasePods() finds the Database's pods by name in the cache", () => {
  const pod = (name: string, instance: string): Pod => ({
    metadata: { name, namespace: "ns", labels: { "app.kubernetes.io/instance": instance } },
  });
  const cache = new Map([
    ["ns/db-0", pod("db-0", "db")],
    ["ns/db-2", pod("db-2", "db")],
    ["ns/db-3", pod("db-3", "other")],
  ]);
  const found = databasePods(db, { get: (key: string) => cache.get(key) }, undefined);
  assert.deepEqual(found.map((p) => p.metadata?.name), ["db-0", "db-2"]);
  assert.deepEqual(databasePods(db, undefined, undefined), []);
});

Deno.test("roleRequeue(): soon after a stale plan, regularly while a switchover is unfinished", () => {
  const asked = {
    ...db,
    metadata: { ...db.metadata, annotations: { "database.example.com/switchover-to": "db-1" } },
  };
  const plan = { primary: "db-0", patches: [] };
  assert.deepEqual(roleRequeue(db, plan, false), { requeueAfterMs: ROLE_RETRY_MS });
  assert.equal(roleRequeue(db, plan, true), undefined);
  assert.deepEqual(roleRequeue(asked, plan, true), { requeueAfterMs: SWITCHOVER_POLL_MS });
  const done = { ...plan, switchover: { outcome: "done" as const, message: "" } };
  assert.equal(roleRequeue(asked, done, true), undefined);
  // Scaled below the primary: pgop's own switchover to pod 0 is under way.
  const one = { ...db, spec: { ...db.spec, replicas: 1 } };
  assert.deepEqual(roleRequeue(one, { primary: "db-2", patches: [] }, true), {
    requeueAfterMs: SWITCHOVER_POLL_MS,
  });
  assert.equal(roleRequeue({ ...db, spec: { ...db.spec, replicas: 0 } }, plan, true), undefined);
});
