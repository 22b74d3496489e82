import assert from "node:assert/strict";
import {
  decodeBase64,
  desiredSecret,
  encodeBase64,
  InvalidSecretError,
  readPassword,
  SECRET_KEYS,
} from "./secret.ts";
import type { Database } from "./types.ts";

const db: Database = {
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { name: "test-db-1", namespace: "prod", uid: "uid-1" },
  spec: { image: "postgres:14", databaseName: "db1", username: "admin", storage: { size: "10Gi" } },
};

function decoded(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, decodeBase64(v)]));
}

Deno.test("desiredSecret() is the exact apply body", () => {
  const secret = desiredSecret(db, "s3cret");
  assert.deepEqual(Object.keys(secret).sort(), ["apiVersion", "data", "kind", "metadata", "type"]);
  assert.equal(secret.apiVersion, "v1");
  assert.equal(secret.kind, "Secret");
  assert.equal(secret.type, "Opaque");
  assert.equal(secret.metadata?.name, "test-db-1-app");
  assert.equal(secret.metadata?.namespace, "prod");
  assert.equal(secret.metadata?.labels?.["app.kubernetes.io/managed-by"], "pgop");
  assert.deepEqual(secret.metadata?.ownerReferences?.map((r) => [r.uid, r.controller]), [[
    "uid-1",
    true,
  ]]);
  assert.deepEqual(decoded(secret.data), {
    username: "admin",
    password: "s3cret",
    host: "test-db-1.prod.svc",
    port: "5432",
    dbname: "db1",
    uri: "postgresql://admin:s3cret@test-db-1.prod.svc:5432/db1",
    "jdbc-uri": "jdbc:postgresql://test-db-1.prod.svc:5432/db1?password=s3cret&user=admin",
  });
});

Deno.test("desiredSecret() percent-encodes the password in URIs only", () => {
  const data = decoded(desiredSecret(db, "p@ss:w/rd?&=%").data);
  assert.equal(data.password, "p@ss:w/rd?&=%");
  assert.equal(
    data.uri,
    "postgresql://admin:p%40ss%3Aw%2Frd%3F%26%3D%25@test-db-1.prod.svc:5432/db1",
  );
  assert.equal(
    data[SECRET_KEYS.jdbcUri],
    "jdbc:postgresql://test-db-1.prod.svc:5432/db1?password=p%40ss%3Aw%2Frd%3F%26%3D%25&user=admin",
  );
});

Deno.test("desiredSecret() is deterministic", () => {
  assert.deepEqual(desiredSecret(db, "x"), desiredSecret(db, "x"));
});

Deno.test("desiredSecret() rejects an empty password and a Database without identity", () => {
  assert.throws(() => desiredSecret(db, ""), RangeError);
  assert.throws(
    () => desiredSecret({ ...db, metadata: { name: "a", namespace: "b" } }, "x"),
    RangeError,
  );
});

Deno.test("readPassword() returns the password of desiredSecret()", () => {
  for (const password of ["s3cret", "ünïcødé ✓", "a".repeat(200)]) {
    assert.equal(readPassword(desiredSecret(db, password)), password);
  }
});

Deno.test("readPassword() returns undefined when there is no Secret", () => {
  assert.equal(readPassword(undefined), undefined);
});

Deno.test("readPassword() throws InvalidSecretError for an unusable Secret", () => {
  const table: Array<Record<string, string> | undefined> = [
    undefined,
    {},
    { username: encodeBase64("admin") },
    { password: "" },
    { password: "!!!not base64" },
    { password: btoa("\xff\xfe") },
  ];
  for (const data of table) {
    assert.throws(
      () => readPassword({ metadata: { name: "test-db-1-app" }, data }),
      InvalidSecretError,
      JSON.stringify(data),
    );
  }
});

Deno.test("encodeBase64() and decodeBase64() round-trip UTF-8", () => {
  assert.equal(encodeBase64("admin"), "YWRtaW4=");
  assert.equal(decodeBase64(encodeBase64("ünïcødé ✓")), "ünïcødé ✓");
});
