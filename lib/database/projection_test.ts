import assert from "node:assert/strict";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { LAST_APPLIED_ANNOTATION, memoryDietTransform } from "../cache/transform.ts";
import { desiredHash, stamp } from "./desired_hash.ts";
import { Interning } from "./interning.ts";
import {
  compactDatabase as compact,
  DESIRED_HASH_ANNOTATION,
  foreignSpecOwners,
  newProjections,
} from "./projection.ts";
import { desiredSecret } from "./secret.ts";
import { desiredStatefulSet } from "./statefulset.ts";
import type { Database } from "./types.ts";
import type { KubeObject, ObjectMeta } from "../kube/types.ts";
import { sampleDatabase } from "../../tests/support/database_fixture.ts";

const interning = new Interning();
const projections = newProjections(interning);
const projectStatefulSet = projections.statefulSet;
const projectMetadataOnly = <T extends KubeObject>(obj: T) => projections.metadataOnly(obj) as T;
const projectMetadata = (metadata: ObjectMeta) => projectMetadataOnly({ metadata }).metadata;
const compactDatabase = (db: Database) => compact(db, interning);

const db = sampleDatabase({ replicas: 2, storage: { size: "5Gi" } });

const managedFields = [
  { manager: "pgop", operation: "Apply", fieldsV1: { "f:spec": {}, "f:metadata": {} } },
  {
    manager: "kube-controller-manager",
    operation: "Update",
    subresource: "status",
    fieldsV1: { "f:status": {} },
  },
  { manager: "kubectl-label", operation: "Update", fieldsV1: { "f:metadata": {} } },
  { manager: "kubectl", operation: "Update", subresource: "scale", fieldsV1: { "f:spec": {} } },
];

Deno.test("foreignSpecOwners() keeps other managers that own more than metadata and status", () => {
  assert.deepEqual(foreignSpecOwners(managedFields), [
    { manager: "kubectl", operation: "Update", subresource: "scale" },
  ]);
  assert.deepEqual(foreignSpecOwners(undefined), []);
  // Idempotent: a projected entry (no field set) still counts.
  assert.deepEqual(foreignSpecOwners(foreignSpecOwners(managedFields)), [
    { manager: "kubectl", operation: "Update", subresource: "scale" },
  ]);
});

Deno.test("the metadata projection keeps the declared fields, absent ones absent", () => {
  const owner = { apiVersion: "database.example.com/v1", kind: "Database", name: "db", uid: "o" };
  const usual = {
    name: "db",
    namespace: "ns",
    uid: "u",
    resourceVersion: "7",
    labels: { app: "db" },
    annotations: { [DESIRED_HASH_ANNOTATION]: "h", [LAST_APPLIED_ANNOTATION]: "{}" },
    ownerReferences: [owner],
  };
  const { [LAST_APPLIED_ANNOTATION]: _applied, ...kept } = usual.annotations;
  assert.deepEqual(projectMetadata(usual), { ...usual, annotations: kept });
  assert.ok(!("generation" in projectMetadata(usual)), "an absent field stays absent");
  assert.deepEqual(projectMetadata({ ...usual, generation: 2 }), {
    ...usual,
    generation: 2,
    annotations: kept,
  });
  const rare = { ...usual, deletionTimestamp: "2026-01-01T00:00:00Z", annotations: { a: "b" } };
  assert.deepEqual(projectMetadata({ ...rare, managedFields }), {
    ...rare,
    managedFields: [{ manager: "kubectl", operation: "Update", subresource: "scale" }],
  });
  assert.deepEqual(projectMetadata({ name: "x" }), { name: "x" });
});

Deno.test("projectMetadataOnly() keeps no data: a cached Secret holds no password", () => {
  const secret = stamp(desiredSecret(db, "s3cret-password"), "h");
  const live = {
    ...secret,
    metadata: {
      ...secret.metadata,
      uid: "s-1",
      resourceVersion: "9",
      creationTimestamp: "2026-01-01T00:00:00Z",
      managedFields,
      annotations: { ...secret.metadata?.annotations, [LAST_APPLIED_ANNOTATION]: "{}" },
    },
  };
  const projected = projectMetadataOnly(live);
  assert.equal(JSON.stringify(projected).includes("s3cret"), false);
  assert.deepEqual(projected, {
    metadata: {
      name: "db-app",
      namespace: "ns",
      uid: "s-1",
      resourceVersion: "9",
      labels: secret.metadata?.labels,
      annotations: { [DESIRED_HASH_ANNOTATION]: "h" },
      ownerReferences: secret.metadata?.ownerReferences,
      managedFields: [{ manager: "kubectl", operation: "Update", subresource: "scale" }],
    },
  });
  assert.deepEqual(projectMetadataOnly(projected), projected);
});

Deno.test("children of one owner share their owner references and name; label values are shared", () => {
  const sts = projectStatefulSet(desiredStatefulSet(db, { secretName: "db-app" }));
  const secret = projectMetadataOnly(desiredSecret(db, "pw"));
  const otherDb = { ...db, metadata: { name: "other", namespace: "ns", uid: "uid-2" } };
  const other = projectMetadataOnly(desiredSecret(otherDb, "pw"));
  const refs = sts.metadata?.ownerReferences;
  assert.equal(secret.metadata?.ownerReferences, refs);
  assert.deepEqual(secret.metadata?.labels, sts.metadata?.labels);
  assert.notEqual(other.metadata?.ownerReferences, refs);
  // Frozen: a cached object is never changed in place, and a shared one must not be.
  assert.ok(Object.isFrozen(refs) && Object.isFrozen(refs?.[0]));
  // Other labels under the same owner are kept as they are.
  const relabelled = projectMetadataOnly({
    metadata: { ...secret.metadata, labels: { ...secret.metadata?.labels, extra: "x" } },
  });
  assert.equal(relabelled.metadata?.labels?.extra, "x");
  assert.equal(relabelled.metadata?.ownerReferences, refs);
  // A reference that differs in anything but the uid is not shared.
  const changed = projectMetadataOnly({
    metadata: { ...secret.metadata, ownerReferences: [{ ...refs![0], controller: false }] },
  });
  assert.notEqual(changed.metadata?.ownerReferences, refs);
  assert.equal(changed.metadata?.ownerReferences?.[0].controller, false);
});

Deno.test("projectStatefulSet() keeps what status and volume growth read, and the builder's input", () => {
  const desired = desiredStatefulSet(db, { secretName: "db-app" });
  const counts = {
    replicas: 2,
    readyReplicas: 1,
    updatedReplicas: 2,
    availableReplicas: 1,
    currentReplicas: 2,
    observedGeneration: 2,
  };
  const live: StatefulSet = {
    ...desired,
    metadata: { ...desired.metadata, uid: "u", resourceVersion: "3", generation: 2 },
    status: { ...counts, currentRevision: "db-abc", updateRevision: "db-abc", collisionCount: 0 },
  };
  const projected = projectStatefulSet(live);
  assert.equal(projected.metadata?.generation, 2);
  assert.equal(projected.spec?.replicas, 2);
  assert.equal(projected.spec?.template, undefined);
  assert.deepEqual(projected.status, counts);
  // The builder reads the claim template's storage back: same desired object, same hash.
  const rebuilt = desiredStatefulSet(db, { secretName: "db-app", existing: projected });
  assert.equal(desiredHash(rebuilt), desiredHash(desired));
  assert.deepEqual(projectStatefulSet(projected), projected);
  // StatefulSets with the same claim templates share one frozen list.
  const templates = projected.spec?.volumeClaimTemplates;
  assert.equal(projectStatefulSet(live).spec?.volumeClaimTemplates, templates);
  assert.ok(Object.isFrozen(templates));
});

Deno.test("desiredHash() is stable and follows every field", () => {
  const a = desiredSecret(db, "x");
  assert.equal(desiredHash(a), desiredHash(desiredSecret(db, "x")));
  assert.notEqual(desiredHash(a), desiredHash(desiredSecret(db, "y")));
  assert.match(desiredHash(a), /^[A-Za-z0-9_-]{22}$/);
  assert.equal(desiredHash(stamp(a, "h")) === desiredHash(a), false);
});

Deno.test("compactDatabase() equals the memory diet, without touching its input", () => {
  const input = {
    ...db,
    metadata: { ...db.metadata, managedFields: managedFields, generation: 1 },
    spec: { ...db.spec, environment: "production" },
    status: {
      phase: "Ready",
      readyReplicas: 2,
      conditions: [{
        type: "Ready",
        status: "True",
        reason: "AllReplicasReady",
        message: "2/2 replicas ready",
        lastTransitionTime: "2026-11-25T10:00:00Z",
      }],
    },
  } as Database;
  const copy = structuredClone(input);
  assert.deepEqual(compactDatabase(input), memoryDietTransform(input));
  assert.deepEqual(input, copy);
  const bare = { metadata: { name: "x" }, spec: db.spec } as Database;
  assert.deepEqual(compactDatabase(bare), bare);
});

Deno.test("compactDatabase() shares equal conditions among Databases, frozen", () => {
  const ready = {
    type: "Ready",
    status: "True",
    reason: "AllReplicasReady",
    message: "1/1 replicas ready",
    lastTransitionTime: "2026-11-25T10:00:00Z",
    observedGeneration: 1,
  } as const;
  const withCondition = (name: string, condition: Record<string, unknown>) =>
    compactDatabase({
      ...db,
      metadata: { ...db.metadata, name },
      status: { phase: "Ready", conditions: [condition] },
    } as unknown as Database).status!.conditions![0];
  const a = withCondition("a", { ...ready });
  assert.equal(withCondition("b", { ...ready }), a);
  assert.ok(Object.isFrozen(a));
  const later = withCondition("c", { ...ready, lastTransitionTime: "2026-11-25T10:00:01Z" });
  assert.notEqual(later, a);
  assert.equal(later.lastTransitionTime, "2026-11-25T10:00:01Z");
  // A condition with a field of its own keeps it, and is not shared.
  const extra = withCondition("d", { ...ready, extra: "x" });
  assert.notEqual(extra, a);
  assert.equal((extra as unknown as Record<string, unknown>).extra, "x");
});
