/**
 * The API server's protobuf responses, decoded partially with a
 * {@link MessageSchema} (see `protobuf.ts`):
 *
 * - an object or a list is `k8s\0` followed by a `runtime.Unknown` envelope
 *   (`typeMeta`, `raw`) whose `raw` is the message itself;
 * - a watch is a stream of frames, each a 4-byte big-endian length and a
 *   `meta.v1.WatchEvent` (`type`, `object.raw`), the object enveloped as above
 *   (frames are split from the stream by `protobuf_watch_decoder.ts`).
 *
 * A `Status` (an error answer, a watch `ERROR` event) is decoded whole,
 * whatever schema was asked for.
 *
 * @module
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import {
  FIELD_1_BYTES,
  FIELD_2_BYTES,
  type MessageSchema,
  ProtobufError,
  readMessage,
  readTag,
  valueEnd,
} from "./protobuf.ts";
import type { KubeObject, WatchEvent } from "./types.ts";
import { EVENT_TYPES } from "./watch_decoder.ts";

/** Media type asked for: protobuf, else JSON (custom resources have no protobuf). */
export const PROTOBUF_ACCEPT = "application/vnd.kubernetes.protobuf, application/json";

/** Whether a response's `Content-Type` is protobuf. */
export function isProtobuf(contentType: string | null): boolean {
  return contentType?.startsWith("application/vnd.kubernetes.protobuf") ?? false;
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

const TYPE_META: MessageSchema = {
  1: { name: "apiVersion", type: "string" },
  2: { name: "kind", type: "string" },
};

/** `meta.v1.ListMeta`. */
export const LIST_META: MessageSchema = {
  2: { name: "resourceVersion", type: "string", omitEmpty: true },
  3: { name: "continue", type: "string", omitEmpty: true },
  4: { name: "remainingItemCount", type: "int" },
};

/** `meta.v1.Status`, whole (empty fields left out, as in its JSON). */
export const STATUS: MessageSchema = {
  1: { name: "metadata", type: "message", schema: LIST_META },
  2: { name: "status", type: "string", omitEmpty: true },
  3: { name: "message", type: "string", omitEmpty: true },
  4: { name: "reason", type: "string", omitEmpty: true },
  5: {
    name: "details",
    type: "message",
    schema: {
      1: { name: "name", type: "string", omitEmpty: true },
      2: { name: "group", type: "string", omitEmpty: true },
      3: { name: "kind", type: "string", omitEmpty: true },
      4: {
        name: "causes",
        type: "message",
        repeated: true,
        schema: {
          1: { name: "reason", type: "string", omitEmpty: true },
          2: { name: "message", type: "string", omitEmpty: true },
          3: { name: "field", type: "string", omitEmpty: true },
        },
      },
      5: { name: "retryAfterSeconds", type: "int", omitEmpty: true },
      6: { name: "uid", type: "string", omitEmpty: true },
    },
  },
  6: { name: "code", type: "int", omitEmpty: true },
};

/** What a bookmark carries: `metadata.resourceVersion` and `metadata.annotations`. */
const BOOKMARK: MessageSchema = {
  1: {
    name: "metadata",
    type: "message",
    schema: {
      6: { name: "resourceVersion", type: "string", omitEmpty: true },
      12: { name: "annotations", type: "map", value: "string" },
    },
  },
};

/** The message inside an enveloped object: its type and where it is in the reader's bytes. */
interface Enveloped {
  readonly apiVersion: string;
  readonly kind: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Opens the `k8s\0` + `runtime.Unknown` envelope in `bytes[start, end)`,
 * which `reader` reads. Everything is read in place by the one reader: no
 * copies, no views, no second reader per object.
 */
function unwrap(reader: BinaryReader, bytes: Uint8Array, start: number, end: number): Enveloped {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[start + i] !== MAGIC[i] || start + i >= end) {
      throw new ProtobufError("Not a Kubernetes protobuf message (no k8s\\0 prefix)");
    }
  }
  // runtime.Unknown: typeMeta = 1, raw = 2, read in one pass; the last
  // occurrence of a field wins, as protobuf merges.
  let typeMeta: Record<string, unknown> = {};
  let rawStart = end;
  let rawEnd = end;
  reader.pos = start + MAGIC.length;
  try {
    while (reader.pos < end) {
      const tag = readTag(reader);
      if (tag === FIELD_1_BYTES) {
        typeMeta = readMessage(reader, TYPE_META, valueEnd(reader, end));
      } else if (tag === FIELD_2_BYTES) {
        rawEnd = valueEnd(reader, end);
        rawStart = reader.pos;
        reader.pos = rawEnd;
      } else {
        reader.skip(tag & 7, tag >>> 3);
      }
    }
  } catch (error) {
    if (error instanceof ProtobufError) throw error;
    throw new ProtobufError(`Malformed envelope: ${(error as Error).message}`, { cause: error });
  }
  if (reader.pos > end) throw new ProtobufError("The envelope runs past its end");
  return {
    apiVersion: (typeMeta.apiVersion as string | undefined) ?? "",
    kind: (typeMeta.kind as string | undefined) ?? "",
    start: rawStart,
    end: rawEnd,
  };
}

/** The enveloped object in `reader`'s bytes `[start, end)`, decoded with `schema` (a `Status` whole). */
function readObject<T extends KubeObject>(
  reader: BinaryReader,
  bytes: Uint8Array,
  start: number,
  end: number,
  schema: MessageSchema,
): T {
  const { apiVersion, kind, start: rawStart, end: rawEnd } = unwrap(reader, bytes, start, end);
  reader.pos = rawStart;
  const object = readMessage(reader, kind === "Status" ? STATUS : schema, rawEnd);
  if (apiVersion) object.apiVersion = apiVersion;
  if (kind) object.kind = kind;
  return object as T;
}

/**
 * An enveloped object, decoded with `schema` (a `Status` whole), with the
 * envelope's `apiVersion` and `kind`.
 */
export function decodeObject<T extends KubeObject>(bytes: Uint8Array, schema: MessageSchema): T {
  return readObject<T>(new BinaryReader(bytes), bytes, 0, bytes.length, schema);
}

/** An enveloped list: `metadata` (ListMeta) and `items` decoded with `itemSchema`. */
export function decodeList<T extends KubeObject>(
  bytes: Uint8Array,
  itemSchema: MessageSchema,
): { metadata?: Record<string, unknown>; items?: T[] } {
  const reader = new BinaryReader(bytes);
  const { kind, start, end } = unwrap(reader, bytes, 0, bytes.length);
  if (kind === "Status") throw new ProtobufError("Expected a list, got a Status");
  reader.pos = start;
  return readMessage(reader, {
    1: { name: "metadata", type: "message", schema: LIST_META },
    2: { name: "items", type: "message", schema: itemSchema, repeated: true },
  }, end) as { metadata?: Record<string, unknown>; items?: T[] };
}

/**
 * One watch frame (without its length prefix) as a {@link WatchEvent}.
 * @throws {ProtobufError} for an unknown event type or a malformed frame
 */
export function decodeWatchFrame<T extends KubeObject>(
  frame: Uint8Array,
  schema: MessageSchema,
): WatchEvent<T> {
  let type = "";
  let rawStart = -1;
  let rawEnd = -1;
  const reader = new BinaryReader(frame);
  try {
    while (reader.pos < reader.len) {
      const tag = readTag(reader);
      if (tag === FIELD_1_BYTES) {
        // WatchEvent.type = 1
        type = reader.string();
      } else if (tag === FIELD_2_BYTES) {
        // WatchEvent.object = 2, a runtime.RawExtension: raw = 1 (the last one wins).
        const end = valueEnd(reader, reader.len);
        rawStart = rawEnd = reader.pos;
        while (reader.pos < end) {
          const inner = readTag(reader);
          if (inner === FIELD_1_BYTES) {
            rawEnd = valueEnd(reader, end);
            rawStart = reader.pos;
            reader.pos = rawEnd;
          } else reader.skip(inner & 7, inner >>> 3);
        }
      } else {
        reader.skip(tag & 7, tag >>> 3);
      }
    }
  } catch (error) {
    if (error instanceof ProtobufError) throw error;
    throw new ProtobufError(`Malformed watch frame: ${(error as Error).message}`, { cause: error });
  }
  if (!EVENT_TYPES.has(type)) throw new ProtobufError(`Watch event has unknown type "${type}"`);
  if (rawStart < 0) throw new ProtobufError(`Watch event "${type}" has no object`);
  // A bookmark's resourceVersion and annotations are read whatever the schema asks.
  const object = readObject<T>(
    reader,
    frame,
    rawStart,
    rawEnd,
    type === "BOOKMARK" ? BOOKMARK : schema,
  );
  return { type, object } as WatchEvent<T>;
}
