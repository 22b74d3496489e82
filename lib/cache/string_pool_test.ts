import assert from "node:assert/strict";
import { StringPool } from "./string_pool.ts";

Deno.test("StringPool returns one instance per value until it is full", () => {
  const pool = new StringPool(2);
  const a = pool.intern("pgop-loadtest-0");
  assert.equal(pool.intern(["pgop-loadtest", "0"].join("-")), a);
  assert.equal(pool.intern(undefined), undefined);
  pool.intern("second");
  assert.equal(pool.intern("third"), "third");
  assert.equal(pool.size, 2);
  assert.deepEqual(pool.internValues({ a: "second", b: "x" }), { a: "second", b: "x" });
});
