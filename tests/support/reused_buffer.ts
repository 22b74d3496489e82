/**
 * Feeds a watch decoder the way `chunkReader` does: every chunk is a view of
 * one buffer that the next read overwrites. A decoder that kept a chunk
 * instead of copying it decodes garbage here.
 *
 * @module
 */
import type { KubeObject, WatchEvent } from "../../lib/kube/types.ts";
import type { WatchBodyDecoder } from "../../lib/kube/watch_decoder.ts";

/** Pushes `chunks` to `decoder` through one reused buffer, then ends it; returns the events. */
export function decodeThroughOneBuffer<T extends KubeObject>(
  decoder: WatchBodyDecoder<T>,
  chunks: Iterable<Uint8Array>,
): WatchEvent<T>[] {
  const events: WatchEvent<T>[] = [];
  let buffer = new Uint8Array(0);
  for (const chunk of chunks) {
    if (buffer.length < chunk.length) buffer = new Uint8Array(chunk.length);
    const view = buffer.subarray(0, chunk.length);
    view.set(chunk);
    decoder.push(view, events);
    buffer.fill(0xff);
  }
  decoder.end(events);
  return events;
}
