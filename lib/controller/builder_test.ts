import assert from "node:assert/strict";
import type { KubeObject } from "../kube/types.ts";
import { byControllerOwner, byLabel, controllerManagedBy } from "./builder.ts";
import type { Source } from "./controller_options.ts";
import type { LeaderRunnable } from "./manager.ts";

const source = { resource: "things" } as Source<KubeObject>;
const reconciler = { reconcile: () => Promise.resolve() };

Deno.test("byControllerOwner() names the controller owner of the kind, in the object's namespace", () => {
  const map = byControllerOwner("Database");
  const ref = { apiVersion: "v1", name: "db", uid: "u" };
  const table: Array<[string, KubeObject, string | undefined]> = [
    [
      "controller",
      {
        metadata: {
          namespace: "ns",
          ownerReferences: [{ ...ref, kind: "Database", controller: true }],
        },
      },
      "ns/db",
    ],
    [
      "not controller",
      { metadata: { namespace: "ns", ownerReferences: [{ ...ref, kind: "Database" }] } },
      undefined,
    ],
    [
      "other kind",
      {
        metadata: {
          namespace: "ns",
          ownerReferences: [{ ...ref, kind: "Other", controller: true }],
        },
      },
      undefined,
    ],
    ["no owner", { metadata: { namespace: "ns" } }, undefined],
  ];
  for (const [what, obj, want] of table) assert.equal(map(obj), want, what);
});

Deno.test("byLabel() names the object the label names, in the object's namespace", () => {
  const map = byLabel("app.kubernetes.io/instance");
  assert.equal(
    map({ metadata: { namespace: "ns", labels: { "app.kubernetes.io/instance": "db" } } }),
    "ns/db",
  );
  assert.equal(map({ metadata: { namespace: "ns", labels: {} } }), undefined);
});

Deno.test("complete() registers a factory of fresh controllers and rejects missing parts", () => {
  const built: Array<() => LeaderRunnable> = [];
  const host = { addController: (b: () => LeaderRunnable) => void built.push(b) };
  assert.throws(() => controllerManagedBy(host).named("x").complete(reconciler), /for\(\)/);
  assert.throws(
    () => controllerManagedBy(host).for(source, { kind: "Thing" }).complete(reconciler),
    /named\(\)/,
  );
  assert.throws(() => controllerManagedBy(host).owns(source), /for\(\) before owns\(\)/);
  assert.throws(
    () =>
      controllerManagedBy(host).named("x").for(source, { kind: "Thing" })
        .withOptions({ workers: 0 }).complete(reconciler),
    RangeError,
  );
  controllerManagedBy(host).named("x").for(source, { kind: "Thing" }).owns(source)
    .complete(reconciler);
  assert.equal(built.length, 1);
  assert.notEqual(built[0](), built[0]());
});
