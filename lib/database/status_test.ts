import assert from "node:assert/strict";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import {
  computeStatus,
  formatTime,
  MAX_MESSAGE_LENGTH,
  type Observed,
  statusChanged,
} from "./status.ts";
import { type Condition, CONDITION_FIELDS, type Database, type DatabaseStatus } from "./types.ts";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:05:00Z";

function sample(replicas = 2, status?: DatabaseStatus): Database {
  return {
    metadata: { name: "test-db-1", namespace: "prod", uid: "uid-1", generation: 4 },
    spec: {
      image: "postgres:14",
      replicas,
      databaseName: "db1",
      username: "admin",
      storage: { size: "1Gi" },
    },
    status,
  };
}

function sts(
  status: NonNullable<StatefulSet["status"]>,
  options: { generation?: number; replicas?: number } = {},
): StatefulSet {
  return {
    metadata: { name: "test-db-1", generation: options.generation ?? 7 },
    spec: { replicas: options.replicas ?? 2, serviceName: "x", selector: {}, template: {} },
    status: { observedGeneration: 7, ...status },
  };
}

const ready = sts({ replicas: 2, readyReplicas: 2, updatedReplicas: 2 });
const notReady = sts({ replicas: 1, readyReplicas: 0, updatedReplicas: 1 });
const pullError = { pod: "test-db-1-0", reason: "ErrImagePull", message: "not found" };

function summary(status: DatabaseStatus) {
  return [
    status.phase,
    ...(status.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`),
  ].join(" ");
}

Deno.test("computeStatus() derives phase and conditions from what was observed", () => {
  const table: Array<[string, Observed, string]> = [
    [
      "nothing yet",
      {},
      "Pending Ready=False/Creating Progressing=True/Creating Degraded=False/AsExpected",
    ],
    [
      "pods not ready",
      { statefulSet: sts({ replicas: 2, readyReplicas: 1, updatedReplicas: 2 }) },
      "Creating Ready=False/ReplicasNotReady Progressing=True/ReplicasNotReady Degraded=False/AsExpected",
    ],
    [
      "all ready",
      { statefulSet: ready },
      "Ready Ready=True/AllReplicasReady Progressing=False/AllReplicasReady Degraded=False/AsExpected",
    ],
    [
      "rolling update in progress",
      { statefulSet: sts({ replicas: 2, readyReplicas: 2, updatedReplicas: 1 }) },
      "Creating Ready=False/ReplicasNotReady Progressing=True/ReplicasNotReady Degraded=False/AsExpected",
    ],
    [
      "controller has not seen the latest spec",
      {
        statefulSet: sts({ replicas: 2, readyReplicas: 2, updatedReplicas: 2 }, { generation: 8 }),
      },
      "Creating Ready=False/ReplicasNotReady Progressing=True/ReplicasNotReady Degraded=False/AsExpected",
    ],
    [
      "status without observedGeneration",
      {
        statefulSet: sts({
          replicas: 2,
          readyReplicas: 2,
          updatedReplicas: 2,
          observedGeneration: undefined,
        }),
      },
      "Creating Ready=False/ReplicasNotReady Progressing=True/ReplicasNotReady Degraded=False/AsExpected",
    ],
    [
      "replicas change not applied yet",
      { statefulSet: sts({ replicas: 3, readyReplicas: 3, updatedReplicas: 3 }, { replicas: 3 }) },
      "Creating Ready=False/ReplicasNotReady Progressing=True/ReplicasNotReady Degraded=False/AsExpected",
    ],
    [
      "scale-down in progress",
      { statefulSet: sts({ replicas: 3, readyReplicas: 3, updatedReplicas: 3 }) },
      "Creating Ready=False/ReplicasNotReady Progressing=True/ReplicasNotReady Degraded=False/AsExpected",
    ],
    [
      "invalid spec",
      { statefulSet: ready, invalid: ["spec.image: bad"] },
      "Failed Ready=False/InvalidSpec Progressing=False/InvalidSpec Degraded=True/InvalidSpec",
    ],
    [
      "conflict",
      { conflict: "Secret exists" },
      "Failed Ready=False/ChildConflict Progressing=False/ChildConflict Degraded=True/ChildConflict",
    ],
    [
      "invalid spec wins over conflict and error",
      { invalid: ["x"], conflict: "y", error: "z" },
      "Failed Ready=False/InvalidSpec Progressing=False/InvalidSpec Degraded=True/InvalidSpec",
    ],
    [
      "transient error while ready",
      { statefulSet: ready, error: "apply failed" },
      "Ready Ready=True/AllReplicasReady Progressing=False/AllReplicasReady Degraded=True/ReconcileError",
    ],
    [
      "transient error before creation",
      { error: "apply failed" },
      "Pending Ready=False/Creating Progressing=True/Creating Degraded=True/ReconcileError",
    ],
    [
      "a pod cannot pull its image",
      { statefulSet: notReady, podProblem: pullError },
      "Creating Ready=False/ErrImagePull Progressing=True/ReplicasNotReady Degraded=True/ErrImagePull",
    ],
    [
      "a pod problem does not override a rolled-out StatefulSet",
      { statefulSet: ready, podProblem: pullError },
      "Ready Ready=True/AllReplicasReady Progressing=False/AllReplicasReady Degraded=False/AsExpected",
    ],
    [
      "a reconcile error wins Degraded over a pod problem",
      { statefulSet: notReady, podProblem: pullError, error: "apply failed" },
      "Creating Ready=False/ErrImagePull Progressing=True/ReplicasNotReady Degraded=True/ReconcileError",
    ],
    [
      "a pod problem does not override an invalid spec",
      { statefulSet: notReady, podProblem: pullError, invalid: ["x"] },
      "Failed Ready=False/InvalidSpec Progressing=False/InvalidSpec Degraded=True/InvalidSpec",
    ],
    [
      "empty invalid list is valid",
      { invalid: [] },
      "Pending Ready=False/Creating Progressing=True/Creating Degraded=False/AsExpected",
    ],
  ];
  for (const [what, observed, want] of table) {
    assert.equal(summary(computeStatus(sample(), observed, T0)), want, what);
  }
});

Deno.test("computeStatus() fills counts, generation, messages and times", () => {
  const status = computeStatus(sample(), {
    statefulSet: sts({ replicas: 2, readyReplicas: 1, updatedReplicas: 1 }),
  }, T0);
  const cond = (
    reason: string,
    message: string,
    type: string,
    s: Condition["status"],
  ): Condition => ({
    type,
    status: s,
    reason,
    message,
    lastTransitionTime: T0,
    observedGeneration: 4,
  });
  const message = "1/2 replicas ready";
  assert.deepEqual(status, {
    phase: "Creating",
    readyReplicas: 1,
    replicas: 2,
    observedGeneration: 4,
    conditions: [
      cond("ReplicasNotReady", message, "Ready", "False"),
      cond("ReplicasNotReady", message, "Progressing", "True"),
      cond("AsExpected", "", "Degraded", "False"),
    ],
  });
});

Deno.test("computeStatus() joins invalid-spec problems and cuts long messages", () => {
  const status = computeStatus(sample(), { invalid: ["a: x", "b: y"] }, T0);
  assert.equal(status.conditions?.[0].message, "a: x; b: y");
  const long = computeStatus(sample(), { error: "e".repeat(MAX_MESSAGE_LENGTH + 10) }, T0);
  assert.equal(long.conditions?.[2].message.length, MAX_MESSAGE_LENGTH);
});

Deno.test("computeStatus() is Ready at zero replicas once scaled down", () => {
  const status = computeStatus(
    sample(0),
    { statefulSet: sts({ replicas: 0 }, { replicas: 0 }) },
    T0,
  );
  assert.equal(status.phase, "Ready");
  assert.equal(status.readyReplicas, 0);
});

Deno.test("computeStatus() keeps lastTransitionTime while a condition's status holds", () => {
  const first = computeStatus(
    sample(),
    { statefulSet: sts({ replicas: 2, readyReplicas: 0 }) },
    T0,
  );
  // Same statuses, other message: times kept.
  const second = computeStatus(
    sample(2, first),
    { statefulSet: sts({ replicas: 2, readyReplicas: 1, updatedReplicas: 1 }) },
    T1,
  );
  assert.deepEqual(second.conditions?.map((c) => c.lastTransitionTime), [T0, T0, T0]);
  assert.notEqual(second.conditions?.[0].message, first.conditions?.[0].message);
  // Ready and Progressing flip, Degraded holds.
  const third = computeStatus(sample(2, second), { statefulSet: ready }, T1);
  assert.deepEqual(third.conditions?.map((c) => c.lastTransitionTime), [T1, T1, T0]);
});

Deno.test("computeStatus() recomputed with nothing changed needs no write", () => {
  const observations: Observed[] = [{}, { statefulSet: ready }, { invalid: ["x"] }, { error: "e" }];
  for (const observed of observations) {
    const current = computeStatus(sample(), observed, T0);
    const again = computeStatus(sample(2, current), observed, T1);
    assert.equal(statusChanged(current, again), false, JSON.stringify(observed));
  }
});

Deno.test("computeStatus() omits observedGeneration without metadata.generation", () => {
  const db = { ...sample(), metadata: { name: "a", namespace: "b", uid: "c" } };
  const status = computeStatus(db, {}, T0);
  assert.equal("observedGeneration" in status, false);
  assert.equal(status.conditions?.some((c) => "observedGeneration" in c), false);
});

Deno.test("computeStatus() rejects a time that is not RFC 3339", () => {
  for (const now of ["", "yesterday", "2026-01-01", "2026-01-01 00:00:00Z"]) {
    assert.throws(() => computeStatus(sample(), {}, now), RangeError, now);
  }
});

Deno.test("statusChanged() compares exactly, ignoring key order", () => {
  const status = computeStatus(sample(), {}, T0);
  const reordered = JSON.parse(JSON.stringify(
    status,
    Object.keys(status).reverse().concat(CONDITION_FIELDS),
  ));
  assert.equal(statusChanged(undefined, status), true);
  assert.equal(statusChanged(status, structuredClone(status)), false);
  assert.equal(statusChanged(reordered, status), false);
  assert.equal(statusChanged({ ...status, readyReplicas: 1 }, status), true);
  assert.equal(statusChanged({ ...status, conditions: status.conditions?.slice(1) }, status), true);
});

Deno.test("formatTime() gives second-precision RFC 3339 in UTC", () => {
  assert.equal(formatTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), "2026-01-02T03:04:05Z");
  assert.equal(formatTime(0), "1970-01-01T00:00:00Z");
  assert.throws(() => formatTime(Number.NaN), RangeError);
});

Deno.test("computeStatus() stays valid for a spec stored before the schema refused it", () => {
  const db = sample();
  const bad = { ...db, spec: { ...db.spec, replicas: -3 } } as Database;
  const status = computeStatus(bad, { invalid: ["spec.replicas: bad"] }, T0);
  assert.equal(status.replicas, undefined);
  assert.equal(status.readyReplicas, 0);
  assert.equal(status.phase, "Failed");
});

Deno.test("computeStatus() names the pod and keeps the kubelet's message", () => {
  const conditions = computeStatus(sample(), { statefulSet: notReady, podProblem: pullError }, T0)
    .conditions ?? [];
  const byType = Object.fromEntries(conditions.map((c) => [c.type, c]));
  assert.equal(byType.Ready.message, 'Pod "test-db-1-0": not found');
  assert.equal(byType.Degraded.message, 'Pod "test-db-1-0": not found');
  assert.equal(byType.Progressing.message, "0/2 replicas ready");
  const noMessage = computeStatus(sample(), {
    statefulSet: notReady,
    podProblem: { ...pullError, message: "" },
  }, T0);
  assert.equal(noMessage.conditions?.[0].message, 'Pod "test-db-1-0": ErrImagePull');
});

Deno.test("computeStatus() reports the primary and the instances, keeping them when unobserved", () => {
  const db = sample(2);
  const instances = [
    { name: "db-0", role: "primary" as const, ready: true },
    { name: "db-1", role: "replica" as const, ready: false },
  ];
  const status = computeStatus(db, { primary: "db-0", instances }, T0);
  assert.equal(status.primary, "db-0");
  assert.deepEqual(status.instances, instances);
  const kept = computeStatus({ ...db, status }, { error: "boom" }, T1);
  assert.equal(kept.primary, "db-0");
  assert.deepEqual(kept.instances, instances);
});
