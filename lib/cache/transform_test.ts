import assert from "node:assert/strict";
import type { KubeObject } from "../kube/types.ts";
import { composeTransforms, LAST_APPLIED_ANNOTATION, memoryDietTransform } from "./transform.ts";

const fat = (): KubeObject & { spec: unknown } => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: "a",
    namespace: "ns",
    resourceVersion: "7",
    managedFields: [{ manager: "kubectl", operation: "Apply" }],
    annotations: { [LAST_APPLIED_ANNOTATION]: "{...}", keep: "me" },
  },
  spec: { big: true },
});

Deno.test("memoryDietTransform() drops managedFields and last-applied, keeps the rest", () => {
  const input = fat();
  const out = memoryDietTransform(input);
  assert.deepEqual(out.metadata, {
    name: "a",
    namespace: "ns",
    resourceVersion: "7",
    annotations: { keep: "me" },
  });
  assert.equal((out as typeof input).spec, input.spec, "the rest is shared, not copied");
});

Deno.test("memoryDietTransform() does not mutate its input", () => {
  const input = fat();
  const snapshot = structuredClone(input);
  memoryDietTransform(input);
  assert.deepEqual(input, snapshot);
});

Deno.test("memoryDietTransform() drops an annotations map it leaves empty", () => {
  const input: KubeObject = {
    metadata: { name: "a", annotations: { [LAST_APPLIED_ANNOTATION]: "x" } },
  };
  assert.equal(Object.hasOwn(memoryDietTransform(input).metadata ?? {}, "annotations"), false);
});

Deno.test("memoryDietTransform() returns the input itself when there is nothing to drop", () => {
  const lean: KubeObject = { metadata: { name: "a", annotations: { keep: "me" } } };
  assert.equal(memoryDietTransform(lean), lean);
  const bare: KubeObject = { kind: "Status" };
  assert.equal(memoryDietTransform(bare), bare);
});

Deno.test("composeTransforms() applies left to right; none is the identity", () => {
  const tag = (t: string) => (o: KubeObject): KubeObject => ({ ...o, kind: `${o.kind ?? ""}${t}` });
  assert.equal(composeTransforms(tag("a"), tag("b"), tag("c"))({}).kind, "abc");
  const x: KubeObject = {};
  assert.equal(composeTransforms<KubeObject>()(x), x);
  const diet = composeTransforms(memoryDietTransform, tag("!"));
  const out = diet(fat());
  assert.equal(out.kind, "ConfigMap!");
  assert.equal(out.metadata?.managedFields, undefined);
});
