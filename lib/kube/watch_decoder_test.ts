import assert from "node:assert/strict";
import { decodeWatchStream, LineSplitStream, parseWatchEvent } from "./watch_decoder.ts";
import type { KubeObject, WatchEvent } from "./types.ts";

async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  return await Array.fromAsync(stream);
}

function fromChunks<T>(chunks: readonly T[]): ReadableStream<T> {
  return ReadableStream.from(chunks);
}

async function split(chunks: readonly string[]): Promise<string[]> {
  return await collect(fromChunks(chunks).pipeThrough(new LineSplitStream()));
}

Deno.test("LineSplitStream splits lines across arbitrary chunk boundaries", async () => {
  const text = '{"a":1}\n{"b":2}\r\n{"c":3}\n';
  const expected = ['{"a":1}', '{"b":2}', '{"c":3}'];
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j++) {
      const chunks = [text.slice(0, i), text.slice(i, j), text.slice(j)];
      assert.deepEqual(await split(chunks), expected, JSON.stringify(chunks));
    }
  }
});

Deno.test("LineSplitStream drops blank lines and flushes a last unterminated line", async () => {
  assert.deepEqual(await split(["\n\n a \n", "  \r\n", "\n", "b"]), [" a ", "b"]);
  assert.deepEqual(await split([]), []);
  assert.deepEqual(await split(["", "\n"]), []);
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

Deno.test("decodeWatchStream() decodes multibyte UTF-8 split across byte chunks", async () => {
  const events = [
    { type: "ADDED", object: { metadata: { name: "zoë-数据库-🐘" } } },
    { type: "BOOKMARK", object: { metadata: { resourceVersion: "7" } } },
  ];
  const bytes = new TextEncoder().encode(events.map((e) => JSON.stringify(e) + "\n").join(""));
  // One byte per chunk splits every multibyte character.
  const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
  const decoded: WatchEvent<KubeObject>[] = await collect(decodeWatchStream(fromChunks(chunks)));
  assert.deepEqual(decoded, events);
});

Deno.test("decodeWatchStream() errors on a malformed event", async () => {
  const bytes = new TextEncoder().encode('{"type":"ADDED","object":{}}\nnot json\n');
  const reader = decodeWatchStream(fromChunks([bytes])).getReader();
  assert.equal((await reader.read()).value?.type, "ADDED");
  await assert.rejects(reader.read(), SyntaxError);
});

Deno.test("decodeWatchStream() cancels its source when the reader cancels", async () => {
  const cancelled = Promise.withResolvers<void>();
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"type":"ADDED","object":{}}\n'));
    },
    cancel() {
      cancelled.resolve();
    },
  });
  const reader = decodeWatchStream(source).getReader();
  assert.equal((await reader.read()).value?.type, "ADDED");
  await reader.cancel();
  // The cancel travels up the pipe chain asynchronously; this never resolves if it does not.
  await cancelled.promise;
});
