import assert from "node:assert/strict";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { Secret, Service } from "kubernetes-types/core/v1.d.ts";
import type { KubeObject } from "../kube/types.ts";
import { jsonEqual, needsApply, ownedBy } from "./compare.ts";
import { secretName } from "./names.ts";
import { desiredSecret, readPassword } from "./secret.ts";
import { desiredPrimaryClientService } from "./role_services.ts";
import { desiredHeadlessService } from "./services.ts";
import { desiredStatefulSet } from "./statefulset.ts";
import type { Database } from "./types.ts";
import fixture from "./testdata/applied_children.json" with { type: "json" };

/** Objects as kube-apiserver 1.36 returned them after applying the builders' output. */
const applied = fixture as unknown as {
  database: Database;
  secret: Secret;
  headlessService: Service;
  clientService: Service;
  statefulSet: StatefulSet;
};
const db = applied.database;

Deno.test("needsApply() is false for each child as kube-apiserver returned it after the apply", () => {
  const password = readPassword(applied.secret);
  assert.ok(password);
  const table: Array<[string, KubeObject, KubeObject]> = [
    ["secret", desiredSecret(db, password), applied.secret],
    ["headless service", desiredHeadlessService(db), applied.headlessService],
    ["client service", desiredPrimaryClientService(db), applied.clientService],
    ["statefulset", desiredStatefulSet(db, { secretName: secretName(db) }), applied.statefulSet],
  ];
  for (const [what, desired, actual] of table) {
    assert.equal(needsApply(desired, actual), false, what);
    assert.ok(ownedBy(actual, db), what);
  }
});

Deno.test("needsApply() is true when a desired field changed against the server's object", () => {
  const changed = { ...db, spec: { ...db.spec, image: "postgres:16" } };
  assert.equal(
    needsApply(desiredStatefulSet(changed, { secretName: "u1-app" }), applied.statefulSet),
    true,
  );
  assert.equal(needsApply(desiredSecret(db, "another"), applied.secret), true);
});

Deno.test("needsApply() compares as a recursive subset", () => {
  const desired = {
    apiVersion: "v1",
    kind: "Thing",
    metadata: { name: "a", labels: { x: "1" } },
    spec: { list: [{ name: "c", port: 1 }], flag: false, skip: undefined },
  };
  const same = {
    metadata: { name: "a", labels: { x: "1", other: "2" }, resourceVersion: "7" },
    spec: { list: [{ name: "c", port: 1, protocol: "TCP" }], flag: false, extra: 1 },
    status: { ok: true },
  };
  const table: Array<[string, unknown, boolean]> = [
    ["absent", undefined, true],
    ["superset", same, false],
    [
      "no apiVersion or kind (list items)",
      { ...same, apiVersion: undefined, kind: "Other" },
      false,
    ],
    ["scalar changed", { ...same, metadata: { ...same.metadata, name: "b" } }, true],
    ["label missing", { ...same, metadata: { name: "a" } }, true],
    ["false vs absent", { ...same, spec: { list: same.spec.list } }, true],
    [
      "keyed list with an item another manager added",
      { ...same, spec: { ...same.spec, list: [...same.spec.list, { name: "d" }] } },
      false,
    ],
    ["array shorter", { ...same, spec: { ...same.spec, list: [] } }, true],
    [
      "array item changed",
      { ...same, spec: { ...same.spec, list: [{ name: "c", port: 2 }] } },
      true,
    ],
    ["object replaced by scalar", { ...same, spec: "x" }, true],
    ["object replaced by array", { ...same, spec: [] }, true],
    [
      "string vs number",
      { ...same, spec: { ...same.spec, list: [{ name: "c", port: "1" }] } },
      true,
    ],
  ];
  for (const [what, actual, want] of table) {
    assert.equal(needsApply(desired, actual as KubeObject | undefined), want, what);
  }
});

Deno.test("ownedBy() needs a controller reference with the Database's uid", () => {
  const ref = {
    apiVersion: "database.example.com/v1",
    kind: "Database",
    name: "u1",
    uid: db.metadata?.uid ?? "",
  };
  const table: Array<[string, KubeObject, Database, boolean]> = [
    ["controller", { metadata: { ownerReferences: [{ ...ref, controller: true }] } }, db, true],
    [
      "not controller",
      { metadata: { ownerReferences: [{ ...ref, controller: false }] } },
      db,
      false,
    ],
    ["no controller field", { metadata: { ownerReferences: [ref] } }, db, false],
    [
      "other uid",
      { metadata: { ownerReferences: [{ ...ref, uid: "x", controller: true }] } },
      db,
      false,
    ],
    ["no owners", { metadata: {} }, db, false],
    ["db without uid", { metadata: { ownerReferences: [{ ...ref, uid: "", controller: true }] } }, {
      ...db,
      metadata: { name: "u1" },
    }, false],
  ];
  for (const [what, obj, owner, want] of table) assert.equal(ownedBy(obj, owner), want, what);
});

Deno.test("jsonEqual() is exact structural equality", () => {
  const table: Array<[unknown, unknown, boolean]> = [
    [{ a: 1, b: [1, { c: "x" }] }, { b: [1, { c: "x" }], a: 1 }, true],
    [{ a: 1, u: undefined }, { a: 1 }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [[1, 2], [2, 1], false],
    [[1], [1, 1], false],
    [null, {}, false],
    [undefined, {}, false],
    ["1", 1, false],
    [{ a: [] }, { a: {} }, false],
  ];
  for (const [a, b, want] of table) {
    assert.equal(jsonEqual(a, b), want, JSON.stringify([a, b]));
    assert.equal(jsonEqual(b, a), want, JSON.stringify([b, a]));
  }
});

Deno.test("needsApply() matches keyed lists by key and ignores items others added", () => {
  const obj = (spec: unknown) => ({ kind: "Service", spec }) as KubeObject;
  const desired = obj({ ports: [{ name: "postgres", port: 5432 }] });
  const others = obj({ ports: [{ name: "x", port: 1 }, { name: "postgres", port: 5432 }] });
  assert.equal(needsApply(desired, others), false);
  assert.equal(needsApply(desired, obj({ ports: [{ name: "postgres", port: 6543 }] })), true);
  assert.equal(needsApply(desired, obj({ ports: [{ name: "other", port: 5432 }] })), true);
  assert.equal(needsApply(obj({ args: ["a"] }), obj({ args: ["a", "b"] })), true);
});
