import assert from "node:assert/strict";
import { decodeMessage, type MessageSchema, ProtobufError } from "./protobuf.ts";
import {
  intField,
  messageField,
  stringField,
  varint,
} from "../../tests/support/protobuf_encoder.ts";

const bytes = (...fields: number[][]) => new Uint8Array(fields.flat());

Deno.test("decodeMessage() reads varints of every length, up to 2^53", () => {
  const schema: MessageSchema = { 1: { name: "n", type: "int", repeated: true } };
  const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1];
  const out = decodeMessage(bytes(...values.map((v) => intField(1, v))), schema);
  assert.deepEqual(out.n, values);
});

Deno.test("decodeMessage() skips fields not in the schema, of every wire type", () => {
  const schema: MessageSchema = { 9: { name: "kept", type: "string" } };
  const fixed64 = [...varint(2 * 8 + 1), 1, 2, 3, 4, 5, 6, 7, 8];
  const fixed32 = [...varint(3 * 8 + 5), 1, 2, 3, 4];
  const out = decodeMessage(
    bytes(
      intField(1, 2 ** 40),
      fixed64,
      fixed32,
      stringField(4, "x".repeat(300)),
      stringField(9, "yes"),
    ),
    schema,
  );
  assert.deepEqual(out, { kept: "yes" });
});

Deno.test("decodeMessage() decodes nested, repeated, map, time, quantity and JSON-keys fields", () => {
  const schema: MessageSchema = {
    1: {
      name: "refs",
      type: "message",
      repeated: true,
      schema: { 1: { name: "kind", type: "string" }, 6: { name: "controller", type: "bool" } },
    },
    2: { name: "labels", type: "map", value: "string" },
    3: { name: "requests", type: "map", value: "quantity" },
    4: { name: "deleted", type: "time" },
    6: { name: "size", type: "quantity" },
    7: { name: "owned", type: "jsonKeys" },
  };
  const out = decodeMessage(
    bytes(
      messageField(1, stringField(1, "Database"), intField(6, 1)),
      messageField(1, stringField(1, "Other"), intField(6, 0)),
      messageField(2, stringField(1, "app"), stringField(2, "pg")),
      messageField(2, stringField(1, "tier"), stringField(2, "")),
      messageField(3, stringField(1, "storage"), messageField(2, stringField(1, "10Gi"))),
      messageField(4, intField(1, 1_764_000_000), intField(2, 5)),
      messageField(6, stringField(1, "5Gi")),
      messageField(7, stringField(1, '{"f:metadata":{"f:labels":{}},"f:spec":{"f:replicas":{}}}')),
    ),
    schema,
  );
  assert.deepEqual(out, {
    refs: [{ kind: "Database", controller: true }, { kind: "Other", controller: false }],
    labels: { app: "pg", tier: "" },
    requests: { storage: "10Gi" },
    deleted: "2025-11-24T16:00:00Z",
    size: "5Gi",
    owned: { "f:metadata": {}, "f:spec": {} },
  });
});

Deno.test("decodeMessage() leaves out empty values of omitEmpty fields only", () => {
  const schema: MessageSchema = {
    1: { name: "name", type: "string", omitEmpty: true },
    2: { name: "generation", type: "int", omitEmpty: true },
    3: { name: "replicas", type: "int" },
  };
  assert.deepEqual(
    decodeMessage(bytes(stringField(1, ""), intField(2, 0), intField(3, 0)), schema),
    {
      replicas: 0,
    },
  );
  assert.deepEqual(decodeMessage(bytes(stringField(1, "a"), intField(2, 3)), schema), {
    name: "a",
    generation: 3,
  });
});

Deno.test("decodeMessage() lets the last value of a field win, as protobuf merges", () => {
  const schema: MessageSchema = { 1: { name: "v", type: "string" } };
  assert.deepEqual(decodeMessage(bytes(stringField(1, "a"), stringField(1, "b")), schema), {
    v: "b",
  });
});

Deno.test("decodeMessage() rejects truncated and malformed input with ProtobufError", () => {
  const schema: MessageSchema = { 1: { name: "v", type: "string" }, 2: { name: "n", type: "int" } };
  const whole = stringField(1, "hello");
  const malformed = [
    new Uint8Array(whole.slice(0, -1)), // truncated string
    new Uint8Array([0x10, 0x80]), // truncated varint
    new Uint8Array([0x2b]), // wire type 3 (groups are not supported)
    new Uint8Array([0x15, 1, 2]), // fixed32 past the end
    new Uint8Array(new Array(11).fill(0xff)), // a varint longer than 10 bytes
    new Uint8Array([0x02, 0x00]), // field number 0
    new Uint8Array([0x0e]), // wire type 6
    new Uint8Array([0x8a, 0x80, 0x80, 0x80, 0x80, 0x01]), // a tag longer than 5 bytes
  ];
  for (const input of malformed) assert.throws(() => decodeMessage(input, schema), ProtobufError);
  assert.throws(() => decodeMessage(bytes(intField(1, 5)), schema), /"v" has wire type 0/);
});

Deno.test("decodeMessage() decodes ASCII, multi-byte UTF-8 and long strings", () => {
  const schema: MessageSchema = { 1: { name: "v", type: "string" } };
  for (const text of ["", "db-1", "données ✓ 数据库", "x".repeat(200), "é".repeat(40)]) {
    assert.equal(decodeMessage(bytes(stringField(1, text)), schema).v, text);
  }
});
