/**
 * Reads a response body a network chunk at a time into one reused buffer.
 *
 * A default reader of a Deno fetch body allocates a new 64 KiB buffer for
 * every read, while a watch's chunks are small: a streaming list of 10,000
 * Databases and their children came in 39,000 chunks of 2.6 KB on average.
 * That is 2.5 GB of short-lived native allocations for 100 MB of data, which
 * leaves malloc's heap fragmented (tens of MB resident after the list) and
 * costs CPU. A BYOB ("bring your own buffer") reader fills one buffer that is
 * handed back and forth instead: on the same lists, 0.7–1.0 instead of
 * 1.2–1.5 CPU-seconds, and 4 instead of 42–51 MiB of malloc heap afterwards
 * (bench/README.md).
 *
 * @module
 */

/** Size of the buffer a body is read into: a read returns at most this much. */
export const READ_BUFFER_BYTES = 64 * 1024;

/** Reads a body chunk by chunk; see {@link chunkReader}. */
export interface ChunkReader {
  /**
   * The next chunk, or undefined at the end of the body. The chunk is a view
   * of the reused buffer: it is valid until the next `read()` only, so a
   * consumer copies what it keeps.
   */
  read(): Promise<Uint8Array | undefined>;
  /** Ends the read and releases the body; a pending `read()` resolves undefined. */
  cancel(): Promise<void>;
}

/**
 * A {@link ChunkReader} of `body`: through one reused buffer of `size` bytes
 * when the body is a byte stream (fetch bodies are), else through a default
 * reader.
 */
export function chunkReader(
  body: ReadableStream<Uint8Array>,
  size = READ_BUFFER_BYTES,
): ChunkReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream (a body made in JavaScript, say): chunks are the stream's own.
    const reader = body.getReader();
    return {
      read: async () => (await reader.read()).value,
      cancel: () => reader.cancel(),
    };
  }
  let buffer = new ArrayBuffer(size);
  return {
    async read() {
      for (;;) {
        const { done, value } = await byob.read(new Uint8Array(buffer));
        // The buffer was transferred to the stream and comes back with the result.
        if (value) buffer = value.buffer as ArrayBuffer;
        if (done) return undefined;
        if (value.length > 0) return value;
      }
    },
    cancel: () => byob.cancel(),
  };
}
