import assert from "node:assert/strict";
import { desiredHeadlessService } from "./services.ts";
import type { Database } from "./types.ts";

const db: Database = {
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { name: "test-db-1", namespace: "prod", uid: "uid-1" },
  spec: { image: "postgres:14", databaseName: "db1", username: "admin", storage: { size: "10Gi" } },
};

const labels = {
  "app.kubernetes.io/name": "postgresql",
  "app.kubernetes.io/instance": "test-db-1",
  "app.kubernetes.io/managed-by": "pgop",
};
const ownerReferences = [{
  apiVersion: "database.example.com/v1",
  kind: "Database",
  name: "test-db-1",
  uid: "uid-1",
  controller: true,
  blockOwnerDeletion: true,
}];
const ports = [{ name: "postgres", port: 5432, targetPort: "postgres", protocol: "TCP" }];

Deno.test("desiredHeadlessService() is the exact apply body", () => {
  assert.deepEqual(desiredHeadlessService(db), {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "test-db-1-headless", namespace: "prod", labels, ownerReferences },
    spec: {
      type: "ClusterIP",
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: {
        "app.kubernetes.io/name": "postgresql",
        "app.kubernetes.io/instance": "test-db-1",
      },
      ports,
    },
  });
});

Deno.test("desired Services do not share mutable parts", () => {
  const a = desiredHeadlessService(db);
  a.spec?.ports?.push({ port: 1 });
  assert.equal(desiredHeadlessService(db).spec?.ports?.length, 1);
});

Deno.test("desired Services reject a Database without identity", () => {
  const bad: Database = { ...db, metadata: { name: "test-db-1" } };
  assert.throws(() => desiredHeadlessService(bad), RangeError);
});
