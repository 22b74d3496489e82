import assert from "node:assert/strict";
import type { KubeObject } from "../kube/types.ts";
import {
  fieldIndexer,
  labelIndexer,
  labelIndexName,
  namespaceIndexer,
  ownerUidIndexer,
} from "./indexers.ts";
import { IndexedStore, objectKey, splitKey, type StoreQuery } from "./store.ts";

interface Db extends KubeObject {
  spec?: { environment?: string };
}

const db = (namespace: string, name: string, rv: string, environment = "dev", labels = {}): Db => ({
  metadata: { namespace, name, resourceVersion: rv, labels, uid: `uid-${name}` },
  spec: { environment },
});

const names = (objs: readonly KubeObject[]) => objs.map((o) => objectKey(o)).sort();

const indexed = () =>
  new IndexedStore<Db>({
    indexers: {
      namespace: namespaceIndexer,
      "spec.environment": fieldIndexer("spec.environment"),
      [labelIndexName("tier")]: labelIndexer("tier"),
      owner: ownerUidIndexer,
    },
  });

Deno.test("objectKey() and splitKey() round-trip namespaced and cluster-scoped keys", () => {
  assert.equal(objectKey({ metadata: { namespace: "ns", name: "a" } }), "ns/a");
  assert.equal(objectKey({ metadata: { name: "node-1" } }), "node-1");
  assert.deepEqual(splitKey("ns/a"), { namespace: "ns", name: "a" });
  assert.deepEqual(splitKey("node-1"), { name: "node-1" });
  assert.throws(() => objectKey({ metadata: {} }), RangeError);
  for (const bad of ["", "/a", "a/", "a/b/c"]) assert.throws(() => splitKey(bad), RangeError);
});

Deno.test("IndexedStore.upsert()/get()/delete() keep content and size", () => {
  const store = indexed();
  assert.equal(store.upsert(db("p", "a", "1")), undefined);
  const old = store.get("p/a");
  assert.equal(store.upsert(db("p", "a", "2"))?.metadata?.resourceVersion, "1");
  assert.notEqual(store.get("p/a"), old);
  assert.equal(store.size, 1);
  assert.deepEqual(store.keys(), ["p/a"]);
  assert.equal(store.delete(db("p", "a", "3"))?.metadata?.resourceVersion, "2");
  assert.equal(store.delete(db("p", "a", "3")), undefined);
  assert.equal(store.size, 0);
});

Deno.test("IndexedStore keeps indexes right across add, update and delete", () => {
  const store = indexed();
  store.upsert(db("p", "a", "1", "production"));
  store.upsert(db("p", "b", "1", "staging"));
  store.upsert(db("q", "c", "1", "production"));
  assert.deepEqual(names(store.byIndex("spec.environment", "production")), ["p/a", "q/c"]);
  store.upsert(db("p", "a", "2", "staging"));
  assert.deepEqual(names(store.byIndex("spec.environment", "production")), ["q/c"]);
  assert.deepEqual(names(store.byIndex("spec.environment", "staging")), ["p/a", "p/b"]);
  store.delete(db("p", "b", "3"));
  assert.deepEqual(names(store.byIndex("spec.environment", "staging")), ["p/a"]);
  assert.deepEqual(names(store.byIndex("namespace", "p")), ["p/a"]);
  assert.deepEqual(store.byIndex("namespace", "nowhere"), []);
  assert.deepEqual(names(store.byIndex("owner", "uid-c")), []);
});

Deno.test("IndexedStore keeps same-named objects of other namespaces and cluster scope apart", () => {
  const store = indexed();
  store.upsert(db("p", "a", "1"));
  store.upsert(db("q", "a", "2"));
  store.upsert({ metadata: { name: "a", resourceVersion: "3" } });
  assert.equal(store.get("p/a")?.metadata?.resourceVersion, "1");
  assert.equal(store.get("q/a")?.metadata?.resourceVersion, "2");
  assert.equal(store.get("a")?.metadata?.resourceVersion, "3");
  assert.equal(store.get("r/a"), undefined);
  assert.deepEqual(store.keys().sort(), ["a", "p/a", "q/a"]);
  assert.deepEqual(names(store.list({ namespace: "q" })), ["q/a"]);
  const diff = store.replace([db("q", "a", "2")], "7");
  assert.deepEqual(names(diff.deleted), ["a", "p/a"]);
  assert.deepEqual(store.keys(), ["q/a"]);
});

Deno.test("IndexedStore builds an index on first query and keeps it up to date after", () => {
  const calls: string[] = [];
  const store = new IndexedStore<Db>({
    indexers: {
      "spec.environment": (obj) => (calls.push(objectKey(obj)), [obj.spec?.environment ?? ""]),
    },
  });
  store.upsert(db("p", "a", "1", "production"));
  store.replace([db("p", "a", "1", "production"), db("p", "b", "1", "staging")], "5");
  store.delete(db("p", "a", "2"));
  assert.deepEqual(calls, [], "an index nobody queried is never computed");
  assert.deepEqual(names(store.byIndex("spec.environment", "staging")), ["p/b"]);
  assert.deepEqual(calls, ["p/b"]);
  store.upsert(db("q", "c", "1", "staging"));
  store.upsert(db("p", "b", "2", "production"));
  assert.deepEqual(names(store.byIndex("spec.environment", "staging")), ["q/c"]);
  assert.deepEqual(names(store.list({ fields: { "spec.environment": "production" } })), ["p/b"]);
  store.replace([], "9");
  assert.deepEqual(store.byIndex("spec.environment", "production"), []);
});

Deno.test("IndexedStore.byIndex() rejects an unknown index", () => {
  assert.throws(() => indexed().byIndex("nope", "x"), RangeError);
  assert.throws(() => indexed().list({ index: { name: "nope", value: "x" } }), RangeError);
  assert.throws(() => new IndexedStore({ indexers: { "": namespaceIndexer } }), RangeError);
});

Deno.test("IndexedStore.list() answers the same with and without indexes", () => {
  const plain = new IndexedStore<Db>();
  const fast = indexed();
  for (const store of [plain, fast]) {
    store.upsert(db("production", "a", "1", "production", { tier: "gold" }));
    store.upsert(db("production", "b", "1", "staging", { tier: "silver" }));
    store.upsert(db("staging", "c", "1", "production", { tier: "gold" }));
    store.upsert(db("staging", "d", "1", "staging"));
  }
  const queries: StoreQuery[] = [
    {},
    { namespace: "production" },
    { namespace: "" },
    { fields: { "spec.environment": "production" } },
    { labels: { tier: "gold" } },
    {
      namespace: "staging",
      fields: { "spec.environment": "production" },
      labels: { tier: "gold" },
    },
    { fields: { "metadata.name": "d" } },
    { namespace: "production", labels: { tier: "bronze" } },
  ];
  for (const query of queries) {
    assert.deepEqual(names(fast.list(query)), names(plain.list(query)), JSON.stringify(query));
  }
  assert.deepEqual(names(fast.list({ namespace: "production" })), ["production/a", "production/b"]);
  assert.deepEqual(names(fast.list({ fields: { "spec.environment": "production" } })), [
    "production/a",
    "staging/c",
  ]);
  assert.deepEqual(
    names(fast.list({ index: { name: "namespace", value: "staging" }, labels: { tier: "gold" } })),
    ["staging/c"],
  );
});

Deno.test("IndexedStore.replace() returns added, updated and deleted, and skips unchanged", () => {
  const store = indexed();
  store.replace([db("p", "same", "1"), db("p", "changed", "1"), db("p", "gone", "1")], "10");
  const keptRef = store.get("p/same");
  const diff = store.replace(
    [db("p", "same", "1"), db("p", "changed", "2", "production"), db("p", "new", "5")],
    "20",
  );
  assert.deepEqual(names(diff.added), ["p/new"]);
  assert.deepEqual(
    diff.updated.map((u) => [u.old.metadata?.resourceVersion, u.new.metadata?.resourceVersion]),
    [
      ["1", "2"],
    ],
  );
  assert.deepEqual(names(diff.deleted), ["p/gone"]);
  assert.equal(store.get("p/same"), keptRef, "unchanged objects keep their stored copy");
  assert.equal(store.resourceVersion, "20");
  assert.deepEqual(names(store.list()), ["p/changed", "p/new", "p/same"]);
  assert.deepEqual(names(store.byIndex("spec.environment", "production")), ["p/changed"]);
  assert.deepEqual(store.byIndex("owner", "uid-gone"), []);
});

Deno.test("IndexedStore.replace() with nothing deletes everything", () => {
  const store = indexed();
  store.upsert(db("p", "a", "1"));
  const diff = store.replace([], "9");
  assert.deepEqual(names(diff.deleted), ["p/a"]);
  assert.equal(store.size, 0);
  assert.deepEqual(store.byIndex("namespace", "p"), []);
});

Deno.test("IndexedStore with freeze makes stored objects immutable", () => {
  const store = new IndexedStore<Db>({ freeze: true });
  store.upsert(db("p", "a", "1"));
  const stored = store.get("p/a");
  assert.throws(() => {
    if (stored?.spec) stored.spec.environment = "hacked";
  }, TypeError);
});

Deno.test("IndexedStore.setResourceVersion() records the last synced version", () => {
  const store = indexed();
  assert.equal(store.resourceVersion, "");
  store.setResourceVersion("42");
  assert.equal(store.resourceVersion, "42");
});

Deno.test("IndexedStore keeps an index value through one, two, one and no keys", () => {
  const store = new IndexedStore<KubeObject>({
    indexers: { team: (o) => o.metadata?.labels?.team ? [o.metadata.labels.team] : [] },
  });
  const obj = (name: string, team: string): KubeObject => ({
    metadata: { namespace: "ns", name, labels: { team } },
  });
  const names = () => store.byIndex("team", "a").map((o) => o.metadata?.name).sort();
  store.upsert(obj("x", "a"));
  assert.deepEqual(names(), ["x"]);
  store.upsert(obj("x", "a"));
  assert.deepEqual(names(), ["x"]);
  store.upsert(obj("y", "a"));
  assert.deepEqual(names(), ["x", "y"]);
  assert.deepEqual(store.list({ index: { name: "team", value: "a" } }).length, 2);
  store.upsert(obj("x", "b"));
  assert.deepEqual(names(), ["y"]);
  store.delete(obj("y", "a"));
  assert.deepEqual(names(), []);
  assert.deepEqual(store.byIndex("team", "b").map((o) => o.metadata?.name), ["x"]);
});
