/**
 * pgop's own protobuf decoder as it was before it moved onto
 * `@bufbuild/protobuf` (commit 63fb03a), kept for the A/B benchmark
 * `bench/protobuf_decode.ts`.
 *
 * Partial decoding of Kubernetes' protobuf encoding. The API server encodes
 * built-in kinds as protobuf on request, at a fraction of the cost and size of
 * JSON (a StatefulSet list is ~30% of the JSON bytes). pgop's caches keep a
 * few fields of its children, so it decodes exactly those: a
 * {@link MessageSchema} names the fields to read, by field number, and every
 * other field is skipped by its length without being looked at.
 *
 * The result has the shape of the JSON encoding for the fields decoded (same
 * names; times as RFC 3339 strings; quantities as strings), so code that reads
 * JSON objects reads these too. Unlike JSON, proto2 writes non-pointer scalars
 * even when zero; a field marked `omitEmpty` leaves them out as JSON does.
 *
 * Wire format: https://protobuf.dev/programming-guides/encoding/.
 *
 * @module
 */
import { jsonTopLevelKeys } from "../../../lib/kube/json_keys.ts";
import {
  expectWire,
  type FieldSchema,
  type MessageSchema,
  QUANTITY,
  rfc3339,
  TIME,
} from "../../../lib/kube/protobuf.ts";
import {
  decodeText,
  fieldRange,
  ProtobufError,
  ProtoReader,
  WIRE_LENGTH,
  WIRE_VARINT,
} from "./proto_reader.ts";

/** Decodes the fields of `schema` from `bytes[start, end)`; other fields are skipped. */
export function decodeMessage(
  bytes: Uint8Array,
  schema: MessageSchema,
  start = 0,
  end = bytes.length,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const reader = new ProtoReader(bytes, start, end);
  while (reader.next()) {
    const field = schema[reader.field];
    if (field === undefined) {
      reader.skip(reader.wireType);
      continue;
    }
    if (field.type === "map") {
      expectWire(field.name, reader.wireType, WIRE_LENGTH);
      reader.lengthDelimited();
      const map = (out[field.name] ??= {}) as Record<string, string>;
      addMapEntry(map, bytes, reader.valueStart, reader.valueEnd, field.value);
      continue;
    }
    const value = fieldValue(reader, field, reader.wireType);
    setField(out, field, value);
  }
  return out;
}

/**
 * Sets a decoded `value` of `field` on `out`: appended when repeated, left out
 * when `omitEmpty` and empty ("", 0, false), as the JSON encoding has it.
 */
function setField(out: Record<string, unknown>, field: FieldSchema, value: unknown): void {
  if ("omitEmpty" in field && field.omitEmpty && (value === "" || value === 0 || value === false)) {
    return;
  }
  if ("repeated" in field && field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
  else out[field.name] = value;
}

function fieldValue(reader: ProtoReader, field: FieldSchema, wireType: number): unknown {
  const bytes = reader.bytes;
  switch (field.type) {
    case "int":
      expectWire(field.name, wireType, WIRE_VARINT);
      return reader.varint();
    case "bool":
      expectWire(field.name, wireType, WIRE_VARINT);
      return reader.varint() !== 0;
    case "map":
      throw new ProtobufError(`Map field "${field.name}" decoded as a value`);
  }
  expectWire(field.name, wireType, WIRE_LENGTH);
  reader.lengthDelimited();
  const start = reader.valueStart;
  const end = reader.valueEnd;
  switch (field.type) {
    case "string":
      return decodeText(bytes, start, end);
    case "bytes":
      return bytes.slice(start, end);
    case "message":
      return decodeMessage(bytes, field.schema, start, end);
    case "time":
      return rfc3339(decodeMessage(bytes, TIME, start, end));
    case "quantity":
      return quantityText(bytes, start, end);
    case "jsonKeys":
      return jsonKeysField(bytes, start, end);
  }
}

/** The top-level keys of the JSON object in field 1 of the message at `bytes[start, end)`. */
function jsonKeysField(bytes: Uint8Array, start: number, end: number): unknown {
  const raw = fieldRange(bytes, 1, start, end);
  if (raw === undefined) return {};
  try {
    return jsonTopLevelKeys(bytes, raw[0], raw[1]);
  } catch (error) {
    throw new ProtobufError(`Malformed JSON keys: ${(error as Error).message}`);
  }
}

function addMapEntry(
  map: Record<string, string>,
  bytes: Uint8Array,
  start: number,
  end: number,
  valueType: "string" | "quantity",
): void {
  let key = "";
  let value = "";
  const reader = new ProtoReader(bytes, start, end);
  while (reader.next()) {
    if ((reader.field !== 1 && reader.field !== 2) || reader.wireType !== WIRE_LENGTH) {
      reader.skip(reader.wireType);
      continue;
    }
    reader.lengthDelimited();
    const s = reader.valueStart;
    const e = reader.valueEnd;
    if (reader.field === 1) key = decodeText(bytes, s, e);
    else if (valueType === "string") value = decodeText(bytes, s, e);
    else value = quantityText(bytes, s, e);
  }
  map[key] = value;
}

/** A `resource.Quantity` message as the string the JSON encoding writes. */
function quantityText(bytes: Uint8Array, start: number, end: number): string {
  return (decodeMessage(bytes, QUANTITY, start, end).string as string | undefined) ?? "";
}

/** An enveloped list's items (`k8s\0` + runtime.Unknown{raw}), decoded with `itemSchema`. */
export function decodeListOwn(bytes: Uint8Array, itemSchema: MessageSchema): unknown[] {
  const raw = fieldRange(bytes, 2, 4, bytes.length);
  if (raw === undefined) return [];
  const list = decodeMessage(
    bytes,
    {
      2: { name: "items", type: "message", schema: itemSchema, repeated: true },
    },
    raw[0],
    raw[1],
  );
  return (list.items as unknown[] | undefined) ?? [];
}
