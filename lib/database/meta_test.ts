import assert from "node:assert/strict";
import { childLabels, childMetadata, controllerReference, selectorLabels } from "./meta.ts";
import type { Database } from "./types.ts";

const db: Database = {
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { name: "test-db-1", namespace: "prod", uid: "uid-1" },
  spec: { image: "postgres:14", databaseName: "db1", username: "admin", storage: { size: "10Gi" } },
};

Deno.test("selectorLabels() are name and instance only", () => {
  assert.deepEqual(selectorLabels(db), {
    "app.kubernetes.io/name": "postgresql",
    "app.kubernetes.io/instance": "test-db-1",
  });
});

Deno.test("childLabels() add managed-by=pgop to the selector labels", () => {
  assert.deepEqual(childLabels(db), {
    "app.kubernetes.io/name": "postgresql",
    "app.kubernetes.io/instance": "test-db-1",
    "app.kubernetes.io/managed-by": "pgop",
  });
});

Deno.test("controllerReference() points at the Database as controller", () => {
  assert.deepEqual(controllerReference(db), {
    apiVersion: "database.example.com/v1",
    kind: "Database",
    name: "test-db-1",
    uid: "uid-1",
    controller: true,
    blockOwnerDeletion: true,
  });
});

Deno.test("childMetadata() names, places, labels and owns the child", () => {
  assert.deepEqual(childMetadata(db, "test-db-1-app"), {
    name: "test-db-1-app",
    namespace: "prod",
    labels: childLabels(db),
    ownerReferences: [controllerReference(db)],
  });
});

Deno.test("childMetadata() rejects a Database without uid, namespace or name", () => {
  const without = (metadata: Database["metadata"]): Database => ({ ...db, metadata });
  const table: Database[] = [
    without({ name: "a", namespace: "prod" }),
    without({ name: "a", uid: "u" }),
    without({ namespace: "prod", uid: "u" }),
    without({ name: "a", namespace: "", uid: "u" }),
  ];
  for (const bad of table) assert.throws(() => childMetadata(bad, "x"), RangeError);
  assert.throws(() => childMetadata(db, ""), RangeError);
});
