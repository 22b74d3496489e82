import assert from "node:assert/strict";
import {
  claimName,
  clientServiceName,
  DNS_1035_LABEL,
  headlessServiceName,
  MAX_DATABASE_NAME_LENGTH,
  nameOf,
  podName,
  secretName,
  statefulSetName,
} from "./names.ts";

const db = { metadata: { name: "test-db-1" } };

Deno.test("names follow the documented scheme", () => {
  const table: Array<[string, string]> = [
    [statefulSetName(db), "test-db-1"],
    [clientServiceName(db), "test-db-1"],
    [headlessServiceName(db), "test-db-1-headless"],
    [secretName(db), "test-db-1-app"],
    [podName(db, 0), "test-db-1-0"],
    [podName(db, 9), "test-db-1-9"],
    [claimName(db, 0), "data-test-db-1-0"],
  ];
  for (const [got, want] of table) assert.equal(got, want);
});

Deno.test("names of the longest Database name stay within their limits", () => {
  const longest = { metadata: { name: "a".repeat(MAX_DATABASE_NAME_LENGTH) } };
  // controller-revision-hash label value: "<statefulset>-<hash of up to 10 chars>".
  assert.ok(`${statefulSetName(longest)}-${"h".repeat(10)}`.length <= 63);
  for (const service of [clientServiceName(longest), headlessServiceName(longest)]) {
    assert.ok(service.length <= 63 && DNS_1035_LABEL.test(service), service);
  }
  assert.ok(podName(longest, 9).length <= 63);
  assert.ok(claimName(longest, 9).length <= 253);
  assert.ok(secretName(longest).length <= 253);
});

Deno.test("nameOf() throws RangeError without a name", () => {
  for (const bad of [{}, { metadata: {} }, { metadata: { name: "" } }]) {
    assert.throws(() => nameOf(bad), RangeError);
    assert.throws(() => secretName(bad), RangeError);
  }
});

Deno.test("podName() and claimName() reject invalid ordinals", () => {
  for (const ordinal of [-1, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => podName(db, ordinal), RangeError, String(ordinal));
    assert.throws(() => claimName(db, ordinal), RangeError, String(ordinal));
  }
});
