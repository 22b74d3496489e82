import assert from "node:assert/strict";
import {
  desiredPrimaryClientService,
  desiredReadOnlyService,
  desiredReadWriteService,
} from "./role_services.ts";
import { childMetadata } from "./meta.ts";
import type { Database } from "./types.ts";

const db: Database = {
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { name: "test-db-1", namespace: "prod", uid: "uid-1" },
  spec: { image: "postgres:14", databaseName: "db1", username: "admin", storage: { size: "10Gi" } },
};

Deno.test("role Services select their role's pods of the Database", () => {
  const table: Array<[ReturnType<typeof desiredReadWriteService>, string, string]> = [
    [desiredReadWriteService(db), "test-db-1-rw", "primary"],
    [desiredReadOnlyService(db), "test-db-1-ro", "replica"],
    [desiredPrimaryClientService(db), "test-db-1", "primary"],
  ];
  for (const [service, name, role] of table) {
    assert.deepEqual(service, {
      apiVersion: "v1",
      kind: "Service",
      metadata: childMetadata(db, name),
      spec: {
        type: "ClusterIP",
        selector: {
          "app.kubernetes.io/name": "postgresql",
          "app.kubernetes.io/instance": "test-db-1",
          "database.example.com/role": role,
        },
        ports: [{ name: "postgres", port: 5432, targetPort: "postgres", protocol: "TCP" }],
      },
    });
  }
});

Deno.test("role Services are new objects on every call", () => {
  const a = desiredReadWriteService(db);
  (a.spec?.ports ?? [])[0].port = 1;
  assert.equal(desiredReadWriteService(db).spec?.ports?.[0].port, 5432);
});

Deno.test("role Services refuse a Database without namespace", () => {
  const bad = { ...db, metadata: { name: "x", uid: "u" } };
  assert.throws(() => desiredReadOnlyService(bad), RangeError);
});
