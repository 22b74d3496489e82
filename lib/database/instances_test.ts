import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.d.ts";
import { instanceChanged, instanceStatuses, podReady, replicasToRun } from "./instances.ts";
import type { Database } from "./types.ts";

const ROLE = "database.example.com/role";

function database(replicas: number): Database {
  return {
    metadata: { name: "db", namespace: "ns" },
    spec: {
      image: "postgres:15",
      replicas,
      databaseName: "a",
      username: "a",
      storage: { size: "1Gi" },
    },
  };
}

function pod(name: string, o: { role?: string; ready?: boolean } = {}): Pod {
  return {
    metadata: { name, labels: o.role ? { [ROLE]: o.role } : {} },
    status: { conditions: [{ type: "Ready", status: o.ready ? "True" : "False" }] },
  };
}

Deno.test("instanceStatuses() lists live pods by ordinal with role and readiness", () => {
  const deleting = pod("db-2", { role: "replica" });
  deleting.metadata = { ...deleting.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" };
  assert.deepEqual(
    instanceStatuses([
      pod("db-10", { role: "replica" }),
      pod("db-1", { role: "replica", ready: true }),
      deleting,
      pod("db-0", { role: "primary", ready: true }),
      pod("db-3"),
    ]),
    [
      { name: "db-0", role: "primary", ready: true },
      { name: "db-1", role: "replica", ready: true },
      { name: "db-3", ready: false },
      { name: "db-10", role: "replica", ready: false },
    ],
  );
});

Deno.test("podReady() reads the Ready condition, else the container's readiness", () => {
  assert.equal(podReady(pod("a", { ready: true })), true);
  assert.equal(podReady(pod("a")), false);
  assert.equal(
    podReady({ status: { containerStatuses: [{ name: "postgres", ready: true } as never] } }),
    true,
  );
  assert.equal(podReady({}), false);
});

Deno.test("replicasToRun() keeps the primary's pod until it is switched over", () => {
  const table: Array<[number, string, number]> = [
    [3, "db-0", 3],
    [1, "db-0", 1],
    [1, "db-2", 3],
    [2, "db-1", 2],
    [0, "db-2", 0],
    [3, "db-9", 10],
  ];
  for (const [replicas, primary, expected] of table) {
    assert.equal(replicasToRun(database(replicas), primary), expected, `${replicas} ${primary}`);
  }
});

Deno.test("instanceStatuses() with the plan's primary gives the roles being set", () => {
  assert.deepEqual(instanceStatuses([pod("db-0"), pod("db-1", { role: "primary" })], "db-0"), [
    { name: "db-0", role: "primary", ready: false },
    { name: "db-1", role: "replica", ready: false },
  ]);
});

Deno.test("instanceStatuses() shows a replica's lag when the current primary reported it", () => {
  const pods = [pod("db-0", { role: "primary" }), pod("db-1", { role: "replica" }), pod("db-2")];
  const lag = { primary: "db-0", lagBytes: { "db-0": 1, "db-1": 42 } };
  assert.deepEqual(instanceStatuses(pods, "db-0", lag), [
    { name: "db-0", role: "primary", ready: false },
    { name: "db-1", role: "replica", ready: false, lagBytes: 42 },
    { name: "db-2", role: "replica", ready: false },
  ]);
  // Reported by a pod that is no longer the primary: not shown.
  assert.deepEqual(
    instanceStatuses(pods, "db-1", lag).map((i) => i.lagBytes),
    [undefined, undefined, undefined],
  );
});

Deno.test("instanceChanged() sees what roles and status read, not routine kubelet updates", () => {
  const a = pod("db-0", { role: "replica", ready: true });
  const restarted: Pod = {
    ...a,
    metadata: { ...a.metadata, resourceVersion: "9" },
    status: { ...a.status, podIP: "10.0.0.9" },
  };
  assert.equal(instanceChanged(a, restarted), false);
  assert.equal(instanceChanged(undefined, a), true, "a new pod");
  assert.equal(instanceChanged(a, undefined), true, "a pod gone");
  assert.equal(instanceChanged(a, pod("db-0", { role: "primary", ready: true })), true);
  assert.equal(instanceChanged(a, pod("db-0", { role: "replica" })), true, "readiness");
  const annotated: Pod = { ...a, metadata: { ...a.metadata, annotations: { x: "1" } } };
  assert.equal(instanceChanged(a, annotated), true);
  const demoted: Pod = {
    ...a,
    status: {
      ...a.status,
      containerStatuses: [{
        name: "postgres",
        ready: false,
        restartCount: 1,
        image: "",
        imageID: "",
        lastState: {
          terminated: { exitCode: 0, message: "pgop demoted: id=a lsn=0/1 timeline=1" },
        },
      }],
    },
  };
  assert.equal(instanceChanged(a, demoted), true, "a termination message");
});
