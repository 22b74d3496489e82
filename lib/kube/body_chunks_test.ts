import assert from "node:assert/strict";
import { chunkReader } from "./body_chunks.ts";

/** A byte stream that enqueues `chunks` one per pull, as a fetch body does. */
function byteStream(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (next < chunks.length) return controller.enqueue(chunks[next++].slice());
      controller.close();
      // A pending BYOB read ends only when its request is answered.
      controller.byobRequest?.respond(0);
    },
  });
}

/** Every chunk `reader` returns, copied (they are views of one buffer). */
async function readAll(reader: ReturnType<typeof chunkReader>): Promise<number[][]> {
  const out: number[][] = [];
  for (let chunk = await reader.read(); chunk; chunk = await reader.read()) out.push([...chunk]);
  return out;
}

Deno.test("chunkReader reads a byte stream through one buffer, splitting what exceeds it", async () => {
  const chunks = [
    new Uint8Array([1, 2, 3]),
    new Uint8Array([4, 5, 6, 7, 8, 9]),
    new Uint8Array([10]),
  ];
  const reader = chunkReader(byteStream(chunks), 4);
  const buffers = new Set<number>();
  const out: number[][] = [];
  for (let chunk = await reader.read(); chunk; chunk = await reader.read()) {
    assert.ok(chunk.buffer.byteLength === 4, "a view of the 4-byte buffer");
    buffers.add(chunk.byteOffset);
    out.push([...chunk]);
  }
  assert.deepEqual(out, [[1, 2, 3], [4, 5, 6, 7], [8, 9], [10]]);
  assert.deepEqual([...buffers], [0]);
});

Deno.test("chunkReader falls back to the stream's own chunks when it is not a byte stream", async () => {
  const body = ReadableStream.from([new Uint8Array([1, 2]), new Uint8Array([3])]);
  assert.deepEqual(await readAll(chunkReader(body, 1)), [[1, 2], [3]]);
});

Deno.test("chunkReader's cancel ends a pending read", async () => {
  const body = new ReadableStream<Uint8Array>({ type: "bytes" }); // never sends anything
  const reader = chunkReader(body);
  const pending = reader.read();
  await reader.cancel();
  assert.equal(await pending, undefined);
});

Deno.test("chunkReader reads a real fetch body", async () => {
  const text = "x".repeat(200_000);
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(text),
  );
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  const reader = chunkReader(response.body!, 1024);
  let length = 0;
  for (let chunk = await reader.read(); chunk; chunk = await reader.read()) {
    assert.ok(chunk.length <= 1024);
    assert.ok(chunk.every((b) => b === 0x78));
    length += chunk.length;
  }
  assert.equal(length, text.length);
});
