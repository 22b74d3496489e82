import assert from "node:assert/strict";
import { problemMessages, type Validatable, validateSpec } from "./validation.ts";

const spec = {
  image: "postgres:14",
  replicas: 1,
  databaseName: "db1",
  username: "admin",
  storage: { size: "10Gi" },
  environment: "production",
};

function db(changes: Record<string, unknown> = {}, name = "test-db-1"): Validatable {
  return { metadata: { name }, spec: { ...spec, ...changes } };
}

// Both tables were also run against kube-apiserver 1.36 with crds/database.yaml
// (create --dry-run=server): it accepted and refused the same objects, except
// integer sizes of 2^53 and more, which only validateSpec() refuses.
Deno.test("validateSpec() accepts valid Databases", () => {
  const table: Validatable[] = [
    db(),
    db({ replicas: undefined, environment: undefined }),
    db({ replicas: 0 }),
    db({ replicas: 10 }),
    db({ image: "docker.io/library/postgres:16.2-bookworm" }),
    db({ image: "localhost:5000/team/pg" }),
    db({ image: `postgres@sha256:${"a".repeat(64)}` }),
    db({ image: `registry.example.com:443/a_b/c-d/e.f:tag_1.2@sha256:${"0".repeat(64)}` }),
    db({ databaseName: "_x", username: "postgres" }),
    db({ databaseName: "postgres" }),
    db({ databaseName: "a".repeat(63), username: "b".repeat(63) }),
    db({ username: "pgx", databaseName: "pg_data" }),
    db({ storage: { size: 1073741824 } }),
    db({ storage: { size: "1536Mi" } }),
    db({ storage: { size: "1Ei" } }),
    db({ storage: { size: "1152921504606846976" } }),
    db({ storage: { size: "1e9" } }),
    db({ storage: { size: "500M" } }),
    db({ environment: "a" }),
    db({ environment: "e".repeat(63) }),
    db({ environment: "pre-prod-2" }),
    db({}, "a".repeat(52)),
    db({}, "a-1"),
    db({ replicas: 3, replication: { synchronous: 2 } }),
    db({ replicas: 1, replication: { synchronous: 0 } }),
    db({ replicas: 0, replication: {} }),
    db({ replicas: undefined, replication: { synchronous: 0 } }),
  ];
  for (const item of table) {
    assert.deepEqual(validateSpec(item), { valid: true, problems: [] }, JSON.stringify(item));
  }
});

Deno.test("validateSpec() reports each rule's violation at its field", () => {
  const table: Array<[Validatable, string]> = [
    [db({}, "1db"), "metadata.name"],
    [db({}, "db.one"), "metadata.name"],
    [db({}, "Db"), "metadata.name"],
    [db({}, "db-"), "metadata.name"],
    [db({}, "a".repeat(53)), "metadata.name"],
    [{ spec }, "metadata.name"],
    [db({ image: "" }), "spec.image"],
    [db({ image: undefined }), "spec.image"],
    [db({ image: 14 }), "spec.image"],
    [db({ image: "Postgres:14" }), "spec.image"],
    [db({ image: "postgres :14" }), "spec.image"],
    [db({ image: "postgres@sha256:abc" }), "spec.image"],
    [db({ image: `p:${"t".repeat(129)}` }), "spec.image"],
    [db({ image: `${"a/".repeat(256)}b` }), "spec.image"],
    [db({ replicas: -1 }), "spec.replicas"],
    [db({ replicas: 11 }), "spec.replicas"],
    [db({ replicas: 1.5 }), "spec.replicas"],
    [db({ replicas: "1" }), "spec.replicas"],
    [db({ databaseName: "Db1" }), "spec.databaseName"],
    [db({ databaseName: "1db" }), "spec.databaseName"],
    [db({ databaseName: "db-1" }), "spec.databaseName"],
    [db({ databaseName: "a".repeat(64) }), "spec.databaseName"],
    [db({ databaseName: "template0" }), "spec.databaseName"],
    [db({ databaseName: "template1" }), "spec.databaseName"],
    [db({ databaseName: undefined }), "spec.databaseName"],
    [db({ username: "" }), "spec.username"],
    [db({ username: "pg_monitor" }), "spec.username"],
    [db({ username: "public" }), "spec.username"],
    [db({ username: "none" }), "spec.username"],
    [db({ username: "current_user" }), "spec.username"],
    [db({ username: "session_user" }), "spec.username"],
    [db({ username: "current_role" }), "spec.username"],
    [db({ username: "Admin" }), "spec.username"],
    [db({ storage: undefined }), "spec.storage"],
    [db({ storage: "10Gi" }), "spec.storage"],
    [db({ storage: {} }), "spec.storage.size"],
    [db({ storage: { size: "0" } }), "spec.storage.size"],
    [db({ storage: { size: "0Gi" } }), "spec.storage.size"],
    [db({ storage: { size: 0 } }), "spec.storage.size"],
    [db({ storage: { size: -1 } }), "spec.storage.size"],
    [db({ storage: { size: 1.5 } }), "spec.storage.size"],
    [db({ storage: { size: "0.5" } }), "spec.storage.size"],
    [db({ storage: { size: "1m" } }), "spec.storage.size"],
    [db({ storage: { size: "-1Gi" } }), "spec.storage.size"],
    [db({ storage: { size: "+1Gi" } }), "spec.storage.size"],
    [db({ storage: { size: "10GB" } }), "spec.storage.size"],
    [db({ storage: { size: "10 Gi" } }), "spec.storage.size"],
    [db({ storage: { size: "9Ei" } }), "spec.storage.size"],
    [db({ storage: { size: "1025Pi" } }), "spec.storage.size"],
    [db({ storage: { size: "1152921504606846977" } }), "spec.storage.size"],
    [db({ storage: { size: "1.5Gi" } }), "spec.storage.size"],
    [db({ storage: { size: "1.500k" } }), "spec.storage.size"],
    [db({ storage: { size: "010Gi" } }), "spec.storage.size"],
    [db({ storage: { size: "1e-3" } }), "spec.storage.size"],
    [db({ storage: { size: 2 ** 53 } }), "spec.storage.size"],
    [db({ storage: { size: true } }), "spec.storage.size"],
    [db({ environment: "Production" }), "spec.environment"],
    [db({ environment: "" }), "spec.environment"],
    [db({ environment: "-prod" }), "spec.environment"],
    [db({ environment: "prod_1" }), "spec.environment"],
    [db({ environment: "e".repeat(64) }), "spec.environment"],
    [db({ environment: 1 }), "spec.environment"],
    [db({ username: "pgop_replication" }), "spec.username"],
    [db({ replicas: 3, replication: { synchronous: 3 } }), "spec.replication.synchronous"],
    [db({ replicas: undefined, replication: { synchronous: 1 } }), "spec.replication.synchronous"],
    [db({ replicas: 10, replication: { synchronous: 10 } }), "spec.replication.synchronous"],
    [db({ replicas: 3, replication: { synchronous: -1 } }), "spec.replication.synchronous"],
    [db({ replicas: 3, replication: { synchronous: 1.5 } }), "spec.replication.synchronous"],
    [db({ replicas: 3, replication: { synchronous: "1" } }), "spec.replication.synchronous"],
    [db({ replicas: 3, replication: 1 }), "spec.replication.synchronous"],
  ];
  for (const [item, field] of table) {
    const result = validateSpec(item);
    assert.equal(result.valid, false, JSON.stringify(item));
    assert.deepEqual(result.problems.map((p) => p.field), [field], JSON.stringify(item));
  }
});

Deno.test("validateSpec() reports a missing spec and stops there", () => {
  for (const bad of [undefined, null, "spec", [spec]]) {
    assert.deepEqual(
      validateSpec({ metadata: { name: "a" }, spec: bad }).problems.map((p) => p.field),
      ["spec"],
    );
  }
});

Deno.test("validateSpec() reports every problem in field order", () => {
  const result = validateSpec({
    metadata: { name: "Bad" },
    spec: {
      image: "",
      replicas: 99,
      databaseName: "",
      username: "pg_x",
      storage: { size: "x" },
      environment: "X",
    },
  });
  assert.deepEqual(result.problems.map((p) => p.field), [
    "metadata.name",
    "spec.image",
    "spec.replicas",
    "spec.databaseName",
    "spec.username",
    "spec.storage.size",
    "spec.environment",
  ]);
});

Deno.test("problemMessages() prefixes each message with its field", () => {
  const messages = problemMessages(validateSpec(db({ replicas: 11 })));
  assert.deepEqual(messages, ["spec.replicas: Replicas must be an integer from 0 to 10, got 11"]);
});
