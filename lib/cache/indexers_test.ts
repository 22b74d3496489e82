import assert from "node:assert/strict";
import type { KubeObject } from "../kube/types.ts";
import {
  fieldIndexer,
  fieldValues,
  labelIndexer,
  labelIndexName,
  namespaceIndexer,
  ownerUidIndexer,
} from "./indexers.ts";

const db = (metadata: KubeObject["metadata"], spec: unknown = {}) =>
  ({ apiVersion: "database.example.com/v1", kind: "Database", metadata, spec }) as KubeObject;

Deno.test("namespaceIndexer() files namespaced objects under their namespace only", () => {
  assert.deepEqual(namespaceIndexer(db({ name: "a", namespace: "prod" })), ["prod"]);
  assert.deepEqual(namespaceIndexer(db({ name: "node-1" })), []);
});

Deno.test("ownerUidIndexer() returns every owner reference's uid", () => {
  const ref = (uid: string) => ({ apiVersion: "v1", kind: "Database", name: "x", uid });
  const owned = db({ name: "a", ownerReferences: [ref("u1"), ref("u2")] });
  assert.deepEqual(ownerUidIndexer(owned), ["u1", "u2"]);
  assert.deepEqual(ownerUidIndexer(db({ name: "b" })), []);
});

Deno.test("labelIndexer() files by one label's value and rejects an empty key", () => {
  const byApp = labelIndexer("app.kubernetes.io/name");
  assert.deepEqual(byApp(db({ name: "a", labels: { "app.kubernetes.io/name": "pg" } })), ["pg"]);
  assert.deepEqual(byApp(db({ name: "a", labels: { other: "x" } })), []);
  assert.equal(labelIndexName("app"), "label:app");
  assert.throws(() => labelIndexer(""), RangeError);
});

Deno.test("fieldIndexer() reads a dot path; scalars stringify, arrays fan out, objects index nowhere", () => {
  const env = fieldIndexer("spec.environment");
  assert.deepEqual(env(db({ name: "a" }, { environment: "production" })), ["production"]);
  assert.deepEqual(fieldIndexer("spec.replicas")(db({ name: "a" }, { replicas: 3 })), ["3"]);
  assert.deepEqual(fieldIndexer("spec.ha")(db({ name: "a" }, { ha: false })), ["false"]);
  assert.deepEqual(fieldIndexer("spec.zones")(db({ name: "a" }, { zones: ["a", "b", {}] })), [
    "a",
    "b",
  ]);
  assert.deepEqual(env(db({ name: "a" }, { environment: { nested: 1 } })), []);
  assert.deepEqual(env(db({ name: "a" }, null)), []);
  assert.deepEqual(env(db({ name: "a" })), []);
});

Deno.test("fieldIndexer() and fieldValues() reject malformed paths up front", () => {
  assert.throws(() => fieldIndexer(""), RangeError);
  assert.throws(() => fieldIndexer("spec..x"), RangeError);
  assert.throws(() => fieldValues({}, ".spec"), RangeError);
  assert.deepEqual(fieldValues({ metadata: { name: "a" } }, "metadata.name"), ["a"]);
});
