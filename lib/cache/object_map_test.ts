import assert from "node:assert/strict";
import type { KubeObject } from "../kube/types.ts";
import { namespaceOf, ObjectMap } from "./object_map.ts";

const obj = (namespace: string | undefined, name: string, rv = "1"): KubeObject => ({
  metadata: { ...(namespace === undefined ? {} : { namespace }), name, resourceVersion: rv },
});

const contents = (map: ObjectMap<KubeObject>) =>
  [...map.values()].map((o) =>
    `${namespaceOf(o)}/${o.metadata?.name}@${o.metadata?.resourceVersion}`
  )
    .sort();

Deno.test("ObjectMap keeps objects with one name in several namespaces apart", () => {
  const map = new ObjectMap<KubeObject>();
  assert.equal(map.set(obj("a", "db")), undefined);
  assert.equal(map.set(obj("b", "db")), undefined);
  assert.equal(map.set(obj(undefined, "db")), undefined);
  assert.equal(map.size, 3);
  assert.equal(map.get("a", "db")?.metadata?.namespace, "a");
  assert.equal(map.get("", "db")?.metadata?.namespace, undefined);
  assert.equal(map.get("c", "db"), undefined);
  assert.equal(map.set(obj("b", "db", "2"))?.metadata?.resourceVersion, "1");
  assert.equal(map.size, 3);
  assert.deepEqual(contents(map), ["/db@1", "a/db@1", "b/db@2"]);
  assert.equal(map.delete("c", "db"), undefined);
  assert.equal(map.delete("a", "db")?.metadata?.namespace, "a");
  assert.equal(map.delete("", "db")?.metadata?.name, "db");
  assert.equal(map.size, 1);
  assert.equal(map.get("b", "db")?.metadata?.resourceVersion, "2");
  assert.equal(map.delete("b", "db")?.metadata?.resourceVersion, "2");
  assert.equal(map.size, 0);
  assert.deepEqual(contents(map), []);
});

Deno.test("ObjectMap replaces, misses and deletes one object per name", () => {
  const map = new ObjectMap<KubeObject>();
  map.set(obj("a", "x"));
  map.set(obj("a", "y"));
  assert.equal(map.get("b", "x"), undefined);
  assert.equal(map.delete("b", "x"), undefined);
  assert.equal(map.set(obj("a", "x", "2"))?.metadata?.resourceVersion, "1");
  assert.deepEqual(contents(map), ["a/x@2", "a/y@1"]);
  assert.equal(map.size, 2);
});
