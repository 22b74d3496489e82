import assert from "node:assert/strict";
import type { KubeObject } from "../kube/types.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { MutationCache } from "./mutation_cache.ts";
import { IndexedStore } from "./store.ts";

const obj = (rv: string, data = rv): KubeObject & { data: string } => ({
  metadata: { namespace: "ns", name: "a", resourceVersion: rv },
  data,
});

Deno.test("MutationCache serves a created object until the informer delivers it", () => {
  const store = new IndexedStore<KubeObject>();
  const cache = new MutationCache(store);
  const handler = cache.handler();
  cache.mutated(obj("5"), undefined);
  assert.equal(cache.get("ns/a")?.metadata?.resourceVersion, "5");
  store.upsert(obj("5"));
  handler.onAdd?.(obj("5"));
  assert.equal(cache.size, 0);
  assert.equal(cache.get("ns/a")?.metadata?.resourceVersion, "5");
});

Deno.test("MutationCache ignores an event of the version it wrote over, and forgets on a newer one", () => {
  const store = new IndexedStore<KubeObject>();
  store.upsert(obj("3"));
  const cache = new MutationCache(store);
  const handler = cache.handler();
  cache.mutated(obj("7"), obj("3"));
  handler.onUpdate?.(obj("2"), obj("3"));
  assert.equal(cache.get("ns/a")?.metadata?.resourceVersion, "7");
  handler.onUpdate?.(obj("3"), obj("9"));
  store.upsert(obj("9"));
  assert.equal(cache.get("ns/a")?.metadata?.resourceVersion, "9");
});

Deno.test("MutationCache forgets on delete and after its TTL", async () => {
  const clock = new FakeClock();
  const store = new IndexedStore<KubeObject>();
  const cache = new MutationCache(store, { clock, ttlMs: 1000 });
  cache.mutated(obj("5"), undefined);
  cache.handler().onDelete?.(obj("5"));
  assert.equal(cache.get("ns/a"), undefined);
  cache.mutated(obj("6"), undefined);
  await clock.advance(1000);
  assert.equal(cache.get("ns/a"), undefined);
  assert.equal(cache.size, 0);
});

Deno.test("MutationCache stores written objects through its transform, as the informer would", () => {
  const store = new IndexedStore<KubeObject>();
  const cache = new MutationCache(store, {
    transform: (o) => ({ metadata: o.metadata }),
  });
  cache.mutated(obj("5", "large"), undefined);
  assert.deepEqual(cache.get("ns/a"), { metadata: obj("5").metadata });
});
