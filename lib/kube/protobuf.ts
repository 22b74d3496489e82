/**
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
 * The wire format (https://protobuf.dev/programming-guides/encoding/) is read
 * with `@bufbuild/protobuf`'s `BinaryReader`, a conformance-tested reader;
 * measured against pgop's own (`bench/protobuf_decode.ts`), it decoded a
 * 10,000-StatefulSet list in less CPU time, cold and warm.
 *
 * @module
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { jsonTopLevelKeys } from "./json_keys.ts";

/**
 * How the cache keeps a field once decoded (see `cache/view.ts`); the
 * decoder ignores it. Returns the value to keep, undefined for none.
 */
// deno-lint-ignore no-explicit-any -- each field's own value type
export type Keep = (value: any) => unknown;

/** How one field is decoded. */
export type FieldSchema =
  & (
    | {
      readonly name: string;
      /**
       * `string`, `int` (varint, up to 2^53), `bool`, `bytes`; `time`: a
       * `meta.v1.Time` message as RFC 3339; `quantity`: a `resource.Quantity`
       * message as its string; `jsonKeys`: a message whose field 1 holds a JSON
       * object (`meta.v1.FieldsV1`), read as its top-level keys, each with `{}`
       * as its value (see `json_keys.ts`).
       */
      readonly type:
        | "string"
        | "int"
        | "bool"
        | "bytes"
        | "time"
        | "quantity"
        | "jsonKeys";
      readonly repeated?: boolean;
      /**
       * Leave out "", 0 and false, as the JSON encoding does for a field tagged
       * `omitempty` (proto2 writes non-pointer scalars even when zero).
       */
      readonly omitEmpty?: boolean;
    }
    | {
      readonly name: string;
      readonly type: "message";
      readonly schema: MessageSchema;
      readonly repeated?: boolean;
    }
    /** A `map<string, string>` or `map<string, Quantity>`: an object. */
    | { readonly name: string; readonly type: "map"; readonly value: "string" | "quantity" }
  )
  & {
    readonly keep?: Keep;
    /** `keep` reads the field as it came (it reads only declared fields itself): no copy first. */
    readonly keepsRaw?: boolean;
  };

/** The fields to decode of one message type, by field number. */
export interface MessageSchema {
  readonly [field: number]: FieldSchema;
}

/** Thrown for bytes that are not the protobuf encoding they should be. */
export class ProtobufError extends Error {
  override name = "ProtobufError";
}

/**
 * Decodes the fields of `schema` from `bytes[start, end)`; other fields are skipped.
 * @throws {ProtobufError} for bytes that are not a message of that schema
 */
export function decodeMessage(
  bytes: Uint8Array,
  schema: MessageSchema,
  start = 0,
  end = bytes.length,
): Record<string, unknown> {
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  return readMessage(new BinaryReader(view), schema, view.length);
}

/**
 * Reads the fields of `schema` from `reader` up to `end` (a nested message is
 * read within the same reader, up to its own end).
 * @throws {ProtobufError} for bytes that are not a message of that schema
 */
export function readMessage(
  reader: BinaryReader,
  schema: MessageSchema,
  end: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  try {
    while (reader.pos < end) {
      const tag = readTag(reader);
      const number = tag >>> 3;
      const wireType: WireType = tag & 7;
      const field = schema[number];
      if (field === undefined) {
        reader.skip(wireType, number);
        continue;
      }
      if (field.type === "map") {
        expectWire(field.name, wireType, WireType.LengthDelimited);
        const map = (out[field.name] ??= {}) as Record<string, string>;
        readMapEntry(reader, map, field.value, end);
        continue;
      }
      setField(out, field, fieldValue(reader, field, wireType, end));
    }
  } catch (error) {
    if (error instanceof ProtobufError) throw error;
    throw new ProtobufError(`Malformed protobuf: ${(error as Error).message}`, { cause: error });
  }
  if (reader.pos > end) throw new ProtobufError("A field runs past the end of its message");
  return out;
}

/**
 * Sets a decoded `value` of `field` on `out`: appended when repeated, left out
 * when `omitEmpty` and empty ("", 0, false), as the JSON encoding has it.
 */
export function setField(out: Record<string, unknown>, field: FieldSchema, value: unknown): void {
  if ("omitEmpty" in field && field.omitEmpty && (value === "" || value === 0 || value === false)) {
    return;
  }
  if ("repeated" in field && field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
  else out[field.name] = value;
}

/**
 * The end of the length-delimited value `reader` is at (its length read),
 * within `limit` (the end of the enclosing message).
 */
export function valueEnd(reader: BinaryReader, limit: number): number {
  const end = reader.uint32() + reader.pos;
  if (end > limit) throw new ProtobufError("Length-delimited field runs past its message");
  return end;
}

/**
 * The next field's tag, `number << 3 | wireType`, checked as
 * `BinaryReader.tag()` checks it; read without the pair that `tag()`
 * allocates, since the decoder reads a tag per field of every object.
 */
export function readTag(reader: BinaryReader): number {
  const start = reader.pos;
  const tag = reader.uint32();
  if (reader.pos - start > 5) throw new ProtobufError("Field tag overflows 32 bits");
  if (tag >>> 3 === 0 || (tag & 7) > 5) {
    throw new ProtobufError(`Illegal field tag: field ${tag >>> 3}, wire type ${tag & 7}`);
  }
  return tag;
}

/** The value of `field` at the reader, within its message's `end`. */
function fieldValue(
  reader: BinaryReader,
  field: FieldSchema,
  wireType: WireType,
  end: number,
): unknown {
  switch (field.type) {
    case "int":
      expectWire(field.name, wireType, WireType.Varint);
      return Number(reader.int64());
    case "bool":
      expectWire(field.name, wireType, WireType.Varint);
      return reader.bool();
    case "map":
      throw new ProtobufError(`Map field "${field.name}" decoded as a value`);
  }
  expectWire(field.name, wireType, WireType.LengthDelimited);
  switch (field.type) {
    case "string":
      return reader.string();
    case "bytes":
      return reader.bytes().slice();
    case "message":
      return readMessage(reader, field.schema, valueEnd(reader, end));
    case "time":
      return rfc3339(readMessage(reader, TIME, valueEnd(reader, end)));
    case "quantity":
      return quantityText(reader, end);
    case "jsonKeys":
      return jsonKeysField(reader, end);
  }
}

/** Tags of fields 1 and 2 when length-delimited (`number << 3 | 2`). */
export const FIELD_1_BYTES = (1 << 3) | WireType.LengthDelimited;
export const FIELD_2_BYTES = (2 << 3) | WireType.LengthDelimited;

/** The top-level keys of the JSON object in field 1 of a `FieldsV1` message. */
function jsonKeysField(reader: BinaryReader, limit: number): unknown {
  const end = valueEnd(reader, limit);
  let keys: unknown = {};
  while (reader.pos < end) {
    const tag = readTag(reader);
    if (tag !== FIELD_1_BYTES) {
      reader.skip(tag & 7, tag >>> 3);
      continue;
    }
    const raw = reader.bytes();
    try {
      keys = jsonTopLevelKeys(raw, 0, raw.length);
    } catch (error) {
      throw new ProtobufError(`Malformed JSON keys: ${(error as Error).message}`);
    }
  }
  return keys;
}

/** One `map<string, string>` or `map<string, Quantity>` entry into `map`. */
function readMapEntry(
  reader: BinaryReader,
  map: Record<string, string>,
  valueType: "string" | "quantity",
  limit: number,
): void {
  const end = valueEnd(reader, limit);
  let key = "";
  let value = "";
  while (reader.pos < end) {
    const tag = readTag(reader);
    if (tag !== FIELD_1_BYTES && tag !== FIELD_2_BYTES) {
      reader.skip(tag & 7, tag >>> 3);
    } else if (tag === FIELD_1_BYTES) key = reader.string();
    else if (valueType === "string") value = reader.string();
    else value = quantityText(reader, end);
  }
  map[key] = value;
}

/** @throws {ProtobufError} when a field's wire type is not the one its schema type has */
export function expectWire(name: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new ProtobufError(`Field "${name}" has wire type ${actual}, expected ${expected}`);
  }
}

/** `meta.v1.Time`: seconds and nanos. */
export const TIME: MessageSchema = {
  1: { name: "seconds", type: "int" },
  2: { name: "nanos", type: "int" },
};
/** `resource.Quantity`: its string. */
export const QUANTITY: MessageSchema = { 1: { name: "string", type: "string" } };

/** A `resource.Quantity` message as the string the JSON encoding writes. */
function quantityText(reader: BinaryReader, limit: number): string {
  return (readMessage(reader, QUANTITY, valueEnd(reader, limit)).string as string | undefined) ??
    "";
}

/** A `meta.v1.Time` as the JSON encoding writes it: whole seconds, UTC. */
export function rfc3339(time: Record<string, unknown>): string {
  const seconds = (time.seconds as number | undefined) ?? 0;
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
