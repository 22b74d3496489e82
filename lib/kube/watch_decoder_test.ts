import assert from "node:assert/strict";
import { JsonWatchDecoder, parseWatchEvent } from "./watch_decoder.ts";
import type { KubeObject, WatchEvent } from "./types.ts";
import { decodeThroughOneBuffer } from "../../tests/support/reused_buffer.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** Everything a decoder makes of `chunks`, end included. */
function decodeAll(chunks: readonly Uint8Array[]): WatchEvent<KubeObject>[] {
  return decodeThroughOneBuffer(new JsonWatchDecoder<KubeObject>(), chunks);
}

Deno.test("JsonWatchDecoder splits events across arbitrary chunk boundaries", () => {
  const text = '{"type":"ADDED","object":{"a":1}}\n{"type":"MODIFIED","object":{}}\r\n' +
    '{"type":"DELETED","object":{}}\n';
  const bytes = encode(text);
  const expected = ["ADDED", "MODIFIED", "DELETED"];
  for (let i = 0; i <= bytes.length; i += 3) {
    for (let j = i; j <= bytes.length; j += 5) {
      const chunks = [bytes.slice(0, i), bytes.slice(i, j), bytes.slice(j)];
      assert.deepEqual(decodeAll(chunks).map((e) => e.type), expected, `${i}/${j}`);
    }
  }
});

Deno.test("JsonWatchDecoder drops blank lines and decodes a last unterminated line at the end", () => {
  const chunks = [
    "\n\n",
    ' {"type":"ADDED","object":{}} \n',
    "  \r\n",
    "\n",
    '{"type":"BOOKMARK",',
    '"object":{}}',
  ];
  assert.deepEqual(decodeAll(chunks.map(encode)).map((e) => e.type), ["ADDED", "BOOKMARK"]);
  assert.deepEqual(decodeAll([]), []);
  assert.deepEqual(decodeAll([encode(""), encode("\n")]), []);
});

Deno.test("JsonWatchDecoder decodes multibyte UTF-8 split across byte chunks", () => {
  const events = [
    { type: "ADDED", object: { metadata: { name: "zoë-数据库-🐘" } } },
    { type: "BOOKMARK", object: { metadata: { resourceVersion: "7" } } },
  ];
  const bytes = encode(events.map((e) => JSON.stringify(e) + "\n").join(""));
  // One byte per chunk splits every multibyte character.
  assert.deepEqual(decodeAll(Array.from(bytes, (b) => Uint8Array.of(b))), events);
});

Deno.test("JsonWatchDecoder throws on a malformed event, after the good ones before it", () => {
  const decoder = new JsonWatchDecoder();
  const events: WatchEvent<KubeObject>[] = [];
  assert.throws(
    () => decoder.push(encode('{"type":"ADDED","object":{}}\nnot json\n'), events),
    SyntaxError,
  );
  assert.deepEqual(events.map((e) => e.type), ["ADDED"]);
});

Deno.test("parseWatchEvent() accepts the five event types", () => {
  for (const type of ["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]) {
    const event = parseWatchEvent(JSON.stringify({ type, object: { kind: "X" } }));
    assert.equal(event.type, type);
  }
});

Deno.test("parseWatchEvent() rejects malformed lines", () => {
  assert.throws(() => parseWatchEvent("{"), SyntaxError);
  assert.throws(() => parseWatchEvent("42"), TypeError);
  assert.throws(() => parseWatchEvent('{"type":"GONE","object":{}}'), TypeError);
  assert.throws(() => parseWatchEvent('{"type":"ADDED"}'), TypeError);
  assert.throws(() => parseWatchEvent('{"type":"ADDED","object":null}'), TypeError);
});
