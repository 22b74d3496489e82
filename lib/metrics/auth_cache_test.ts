import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { AuthCache } from "./auth_cache.ts";

Deno.test("AuthCache keeps allowed decisions for the positive time, refused ones for the negative", async () => {
  const clock = new FakeClock();
  const cache = new AuthCache<string>({ positiveTtlMs: 1000, negativeTtlMs: 100, clock });
  let loads = 0;
  const load =
    (positive: boolean) => () => (loads++, Promise.resolve({ value: `v${loads}`, positive }));
  assert.equal(await cache.get("good", load(true)), "v1");
  assert.equal(await cache.get("bad", load(false)), "v2");
  await clock.advance(500);
  assert.equal(await cache.get("good", load(true)), "v1");
  assert.equal(await cache.get("bad", load(false)), "v3");
  await clock.advance(501);
  assert.equal(await cache.get("good", load(true)), "v4");
  assert.equal(loads, 4);
});

Deno.test("AuthCache shares one load among concurrent lookups and caches no failure", async () => {
  const cache = new AuthCache<number>({ clock: new FakeClock() });
  let loads = 0;
  const slow = () => {
    loads++;
    return new Promise<{ value: number; positive: boolean }>((r) =>
      setTimeout(() => r({ value: 7, positive: true }), 1)
    );
  };
  assert.deepEqual(await Promise.all([cache.get("t", slow), cache.get("t", slow)]), [7, 7]);
  assert.equal(loads, 1);
  await assert.rejects(cache.get("u", () => Promise.reject(new Error("API down"))), /API down/);
  assert.equal(await cache.get("u", () => Promise.resolve({ value: 1, positive: true })), 1);
});

Deno.test("AuthCache holds at most maxEntries, dropping the oldest", async () => {
  const cache = new AuthCache<string>({ maxEntries: 2, clock: new FakeClock() });
  let loads = 0;
  const load = () => (loads++, Promise.resolve({ value: "x", positive: true }));
  for (const t of ["a", "b", "c"]) await cache.get(t, load);
  assert.equal(cache.size, 2);
  await cache.get("c", load);
  assert.equal(loads, 3);
  await cache.get("a", load);
  assert.equal(loads, 4);
});
