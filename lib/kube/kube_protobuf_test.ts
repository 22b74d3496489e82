import assert from "node:assert/strict";
import { decodeList, decodeObject, decodeWatchFrame, isProtobuf } from "./kube_protobuf.ts";
import { ProtobufWatchDecoder } from "./protobuf_watch_decoder.ts";
import { type MessageSchema, ProtobufError } from "./protobuf.ts";
import type { KubeObject, WatchEvent } from "./types.ts";
import {
  bytesField,
  envelope,
  messageField,
  stringField,
} from "../../tests/support/protobuf_encoder.ts";
import { decodeThroughOneBuffer } from "../../tests/support/reused_buffer.ts";

const testdata = new URL("./testdata/", import.meta.url);
const NAME_ONLY: MessageSchema = {
  1: {
    name: "metadata",
    type: "message",
    schema: {
      1: { name: "name", type: "string", omitEmpty: true },
      6: { name: "resourceVersion", type: "string", omitEmpty: true },
      12: { name: "annotations", type: "map", value: "string" },
    },
  },
};

/** Everything a {@link ProtobufWatchDecoder} makes of `bytes` in chunks of `size`, end included. */
function decodeChunked(bytes: Uint8Array, size: number): WatchEvent<KubeObject>[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return decodeThroughOneBuffer(new ProtobufWatchDecoder<KubeObject>(NAME_ONLY), chunks);
}

Deno.test("isProtobuf() recognises the API server's protobuf media types", () => {
  assert.equal(isProtobuf("application/vnd.kubernetes.protobuf"), true);
  assert.equal(isProtobuf("application/vnd.kubernetes.protobuf;stream=watch"), true);
  assert.equal(isProtobuf("application/json"), false);
  assert.equal(isProtobuf(null), false);
});

Deno.test("decodeObject() decodes a Status whole, whatever schema was asked (API server capture)", async () => {
  const bytes = await Deno.readFile(new URL("status_not_found.pb", testdata));
  const status = decodeObject<KubeObject & Record<string, unknown>>(bytes, NAME_ONLY);
  assert.equal(status.kind, "Status");
  assert.equal(status.apiVersion, "v1");
  assert.equal(status.code, 404);
  assert.equal(status.reason, "NotFound");
  assert.equal(status.status, "Failure");
  assert.match(status.message as string, /not found/);
  assert.deepEqual(status.details, { name: "nope", kind: "services" });
});

Deno.test("decodeObject() rejects bytes without the k8s\\0 prefix", () => {
  assert.throws(
    () => decodeObject(new TextEncoder().encode('{"kind":"Status"}'), NAME_ONLY),
    ProtobufError,
  );
});

Deno.test("decodeList() returns the list metadata and the items decoded with the item schema", () => {
  const item = (name: string) =>
    messageField(2, messageField(1, stringField(1, name), stringField(2, "skipped")));
  const list = envelope("v1", "ServiceList", [
    ...messageField(1, stringField(2, "42"), stringField(3, "next")),
    ...item("a"),
    ...item("b"),
  ]);
  assert.deepEqual(decodeList(list, NAME_ONLY), {
    metadata: { resourceVersion: "42", continue: "next" },
    items: [{ metadata: { name: "a" } }, { metadata: { name: "b" } }],
  });
});

Deno.test("ProtobufWatchDecoder decodes a captured streaming list however it is chunked", async () => {
  const bytes = await Deno.readFile(new URL("service_watch.pb", testdata));
  for (const size of [bytes.length, 1, 3, 100]) {
    const events = decodeChunked(bytes, size);
    // The capture ends with a second bookmark, sent before its timeout.
    assert.deepEqual(
      events.map((e) => e.type),
      ["ADDED", "BOOKMARK", "BOOKMARK"],
      `chunks of ${size}`,
    );
    assert.equal(events[0].object.kind, "Service");
    assert.equal((events[0].object as KubeObject).metadata?.name, "lt-bvkpyj-0");
    const bookmark = events[1].object as KubeObject;
    assert.equal(bookmark.metadata?.annotations?.["k8s.io/initial-events-end"], "true");
    assert.match(bookmark.metadata?.resourceVersion ?? "", /^\d+$/);
    assert.equal(bookmark.metadata?.name, undefined);
  }
});

Deno.test("ProtobufWatchDecoder joins a frame larger than its buffer from many chunks", () => {
  const added = (name: string) => {
    const object = envelope("v1", "Service", messageField(1, stringField(1, name)));
    const frame = [...stringField(1, "ADDED"), ...messageField(2, bytesField(1, object))];
    const length = frame.length;
    return [length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, ...frame];
  };
  const big = "b".repeat(300_000);
  const bytes = new Uint8Array([...added("a"), ...added(big), ...added("c")]);
  for (const size of [1000, 70_000]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    const events = decodeThroughOneBuffer(new ProtobufWatchDecoder<KubeObject>(NAME_ONLY), chunks);
    assert.deepEqual(events.map((e) => (e.object as KubeObject).metadata?.name), ["a", big, "c"]);
  }
});

Deno.test("ProtobufWatchDecoder throws at the end of a stream cut inside a frame", async () => {
  const bytes = await Deno.readFile(new URL("service_watch.pb", testdata));
  assert.throws(() => decodeChunked(bytes.slice(0, -3), 64), /ended inside a frame/);
});

Deno.test("ProtobufWatchDecoder rejects a frame length beyond its limit", () => {
  assert.throws(
    () => new ProtobufWatchDecoder(NAME_ONLY).push(Uint8Array.of(0x7f, 0, 0, 0), []),
    /exceeds/,
  );
});

Deno.test("decodeWatchFrame() decodes an ERROR event's Status and rejects unknown types", () => {
  const status = envelope("v1", "Status", [...stringField(4, "Expired"), 0x30, 0x9a, 0x03]);
  const frame = (type: string) =>
    new Uint8Array([...stringField(1, type), ...messageField(2, bytesField(1, status))]);
  const event = decodeWatchFrame(frame("ERROR"), NAME_ONLY) as WatchEvent<KubeObject> & {
    object: { code?: number; reason?: string };
  };
  assert.equal(event.type, "ERROR");
  assert.deepEqual([event.object.code, event.object.reason], [410, "Expired"]);
  assert.throws(() => decodeWatchFrame(frame("SURPRISE"), NAME_ONLY), /unknown type "SURPRISE"/);
  assert.throws(
    () => decodeWatchFrame(new Uint8Array(stringField(1, "ADDED")), NAME_ONLY),
    /has no object/,
  );
});

Deno.test("decodeWatchFrame() keeps an object's fields within its own envelope", () => {
  // The object's metadata claims 40 bytes; its envelope's raw holds 3: the
  // reader, shared by the whole frame, must not read the frame's next bytes.
  const raw = [0x0a, 40, 0x0a];
  const object = envelope("v1", "ConfigMap", raw);
  const frame = new Uint8Array([
    ...stringField(1, "ADDED"),
    ...messageField(2, bytesField(1, object)),
    ...stringField(3, "x".repeat(60)),
  ]);
  assert.throws(() => decodeWatchFrame(frame, NAME_ONLY), ProtobufError);
});
