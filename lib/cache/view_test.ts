import assert from "node:assert/strict";
import type { MessageSchema } from "../kube/protobuf.ts";
import { projectView } from "./view.ts";

const view: MessageSchema = {
  1: { name: "name", type: "string", omitEmpty: true },
  2: { name: "count", type: "int" },
  3: {
    name: "items",
    type: "message",
    repeated: true,
    schema: { 1: { name: "id", type: "string" } },
  },
  4: { name: "fields", type: "jsonKeys" },
  5: { name: "labels", type: "map", value: "string", keep: (m) => ({ ...m, kept: "yes" }) },
  6: { name: "raw", type: "message", schema: {}, keepsRaw: true, keep: (v) => v.length },
  7: { name: "dropped", type: "string", keep: () => undefined },
};

Deno.test("projectView() keeps the declared fields, as the protobuf decoder reads them", () => {
  const input = {
    name: "a",
    count: 0,
    extra: "not declared",
    items: [{ id: "x", other: 1 }],
    fields: { "f:spec": { "f:replicas": {} } },
    labels: { app: "db" },
    raw: [1, 2, 3],
    dropped: "x",
  };
  const copy = structuredClone(input);
  assert.deepEqual(projectView(input, view), {
    name: "a",
    count: 0,
    items: [{ id: "x" }],
    fields: { "f:spec": {} },
    labels: { app: "db", kept: "yes" },
    raw: 3,
  });
  assert.deepEqual(input, copy, "the input is not changed");
});

Deno.test("projectView() leaves absent and empty omitEmpty fields out", () => {
  assert.deepEqual(projectView({ name: "", count: undefined }, view), {});
});
