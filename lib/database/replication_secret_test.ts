import assert from "node:assert/strict";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import { objectToCreate } from "./children.ts";
import { desiredHash } from "./desired_hash.ts";
import {
  desiredReplicationSecret,
  replicationSecretPlan,
  withReadOnlyKeys,
} from "./replication_secret.ts";
import { decodeBase64, desiredSecret, readPassword } from "./secret.ts";
import type { Database } from "./types.ts";

const db: Database = {
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { name: "test-db-1", namespace: "prod", uid: "uid-1" },
  spec: { image: "postgres:14", databaseName: "db1", username: "admin", storage: { size: "10Gi" } },
};

const text = (secret: Secret) =>
  Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, decodeBase64(v)]));

Deno.test("desiredReplicationSecret() holds the replication role and its password", () => {
  const secret = desiredReplicationSecret(db, "s3cret");
  assert.equal(secret.metadata?.name, "test-db-1-replication");
  assert.equal(secret.metadata?.namespace, "prod");
  assert.equal(secret.type, "Opaque");
  assert.deepEqual(text(secret), { username: "pgop_replication", password: "s3cret" });
  assert.equal(readPassword(secret), "s3cret");
  assert.throws(() => desiredReplicationSecret(db, ""), RangeError);
});

Deno.test("replicationSecretPlan() keeps an existing password and generates one only when none exists", () => {
  let generated = 0;
  const plan = replicationSecretPlan(db, () => `new-${++generated}`);
  assert.equal(plan.readsLive, true);
  assert.equal(readPassword(plan.build(undefined) as Secret), "new-1");
  const existing = desiredReplicationSecret(db, "kept");
  assert.equal(readPassword(plan.build(existing) as Secret), "kept");
  assert.equal(generated, 1);
  // The hash does not depend on the password.
  const other = replicationSecretPlan(db, () => "x");
  assert.equal(desiredHash(plan.template), desiredHash(other.template));
  assert.equal(readPassword(objectToCreate(other) as Secret), "x");
});

Deno.test("withReadOnlyKeys() adds ro-host and ro-uri to the credentials Secret", () => {
  const password = "p@ss:w/rd";
  const base = desiredSecret(db, password);
  const secret = withReadOnlyKeys(base, db, password);
  const values = text(secret);
  assert.equal(values["ro-host"], "test-db-1-ro.prod.svc");
  assert.equal(
    values["ro-uri"],
    "postgresql://admin:p%40ss%3Aw%2Frd@test-db-1-ro.prod.svc:5432/db1",
  );
  assert.equal(values.uri, text(base).uri);
  assert.equal(values.host, "test-db-1.prod.svc");
  assert.equal(base.data?.["ro-host"], undefined, "the input is not changed");
});
