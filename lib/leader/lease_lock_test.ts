import assert from "node:assert/strict";
import { isAlreadyExists, isConflict, isNotFound } from "../kube/errors.ts";
import { MemoryLeases } from "../../tests/support/memory_leases.ts";
import {
  formatMicroTime,
  type LeaderElectionRecord,
  LeaseLock,
  recordFromLease,
  sameRecord,
} from "./lease_lock.ts";

const record: LeaderElectionRecord = {
  holderIdentity: "a",
  leaseDurationSeconds: 15,
  acquireTime: "2026-01-02T03:04:05.123456Z",
  renewTime: "2026-01-02T03:04:07.000001Z",
  leaseTransitions: 3,
};

function lockOver(store = new MemoryLeases()) {
  return { store, lock: new LeaseLock(store.client(), { namespace: "ns", name: "pgop" }) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

Deno.test("formatMicroTime() writes RFC 3339 UTC with six fractional digits", () => {
  const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 123);
  assert.equal(formatMicroTime(ms + 0.456), "2026-01-02T03:04:05.123456Z");
  assert.equal(formatMicroTime(ms), "2026-01-02T03:04:05.123000Z");
  assert.equal(formatMicroTime(Date.UTC(2026, 0, 2, 3, 4, 5)), "2026-01-02T03:04:05.000000Z");
  assert.equal(formatMicroTime(ms + 876.9999999), "2026-01-02T03:04:06.000000Z");
});

Deno.test("formatMicroTime() rejects times that are not finite or outside years 0-9999", () => {
  assert.throws(() => formatMicroTime(Number.NaN), RangeError);
  assert.throws(() => formatMicroTime(Number.POSITIVE_INFINITY), RangeError);
  assert.throws(() => formatMicroTime(Date.UTC(10_000, 0, 1)), RangeError);
});

Deno.test("LeaseLock constructor rejects an empty namespace or name", () => {
  const client = new MemoryLeases().client();
  assert.throws(() => new LeaseLock(client, { namespace: "", name: "x" }), RangeError);
  assert.throws(() => new LeaseLock(client, { namespace: "ns", name: "" }), RangeError);
  assert.equal(new LeaseLock(client, { namespace: "ns", name: "x" }).describe(), "ns/x");
});

Deno.test("LeaseLock.get() rejects with NotFound when the Lease does not exist", async () => {
  const { lock } = lockOver();
  assert.ok(isNotFound(await rejection(lock.get())));
});

Deno.test("LeaseLock.create() writes every record field and get() reads them back", async () => {
  const { store, lock } = lockOver();
  const created = await lock.create(record);
  assert.deepEqual(created.record, record);
  const stored = store.read("ns", "pgop");
  assert.equal(stored?.apiVersion, "coordination.k8s.io/v1");
  assert.equal(stored?.kind, "Lease");
  assert.deepEqual(stored?.spec, record);
  const got = await lock.get();
  assert.deepEqual(got.record, record);
  assert.equal(got.object.metadata?.resourceVersion, created.object.metadata?.resourceVersion);
});

Deno.test("LeaseLock.create() rejects with AlreadyExists when someone created it first", async () => {
  const { store, lock } = lockOver();
  await lock.create(record);
  const other = new LeaseLock(store.client(), { namespace: "ns", name: "pgop" });
  assert.ok(isAlreadyExists(await rejection(other.create({ ...record, holderIdentity: "b" }))));
  assert.equal(store.read("ns", "pgop")?.spec?.holderIdentity, "a");
});

Deno.test("LeaseLock.update() PUTs with the observed resourceVersion", async () => {
  const { store, lock } = lockOver();
  const created = await lock.create(record);
  const client = store.client();
  const viaClient = new LeaseLock(client, { namespace: "ns", name: "pgop" });
  const updated = await viaClient.update(created.object, { ...record, renewTime: "x" });
  assert.equal(
    client.requests[0]?.object?.metadata?.resourceVersion,
    created.object.metadata?.resourceVersion,
  );
  assert.equal(updated.record.renewTime, "x");
  assert.notEqual(
    updated.object.metadata?.resourceVersion,
    created.object.metadata?.resourceVersion,
  );
});

Deno.test("LeaseLock.update() of a stale object fails with Conflict and writes nothing", async () => {
  const { store, lock } = lockOver();
  const created = await lock.create(record);
  await lock.update(created.object, { ...record, holderIdentity: "b" });
  const error = await rejection(lock.update(created.object, { ...record, holderIdentity: "c" }));
  assert.ok(isConflict(error));
  assert.equal(store.read("ns", "pgop")?.spec?.holderIdentity, "b");
});

Deno.test("LeaseLock.update() keeps metadata and spec fields outside the record", async () => {
  const { store, lock } = lockOver();
  // A field newer than the record (Kubernetes 1.31's coordinated election).
  const spec = { holderIdentity: "a", leaseDurationSeconds: 15, preferredHolder: "b" };
  store.write({ metadata: { namespace: "ns", name: "pgop", labels: { app: "pgop" } }, spec });
  const observed = await lock.get();
  const released = await lock.update(observed.object, {
    ...record,
    holderIdentity: "",
    acquireTime: "",
  });
  const stored = store.read("ns", "pgop");
  assert.deepEqual(stored?.metadata?.labels, { app: "pgop" });
  assert.equal((stored?.spec as Record<string, unknown>).preferredHolder, "b");
  assert.equal(stored?.spec?.holderIdentity, "");
  assert.equal(stored?.spec?.acquireTime, undefined);
  assert.equal(released.record.holderIdentity, "");
});

Deno.test("recordFromLease() reads absent fields as empty or zero", () => {
  assert.deepEqual(recordFromLease({}), {
    holderIdentity: "",
    leaseDurationSeconds: 0,
    acquireTime: "",
    renewTime: "",
    leaseTransitions: 0,
  });
});

Deno.test("sameRecord() compares every field", () => {
  assert.ok(sameRecord(record, { ...record }));
  for (const key of Object.keys(record) as (keyof LeaderElectionRecord)[]) {
    const changed = { ...record, [key]: typeof record[key] === "number" ? 99 : "other" };
    assert.ok(!sameRecord(record, changed), key);
  }
});
