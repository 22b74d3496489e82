/**
 * A protobuf watch body as events: the stream is a sequence of frames, each a
 * 4-byte big-endian length and a `meta.v1.WatchEvent` (decoded by
 * `decodeWatchFrame` in `kube_protobuf.ts`); frames split across network
 * chunks are joined here.
 *
 * @module
 */
import { decodeWatchFrame } from "./kube_protobuf.ts";
import { type MessageSchema, ProtobufError } from "./protobuf.ts";
import type { KubeObject, WatchEvent } from "./types.ts";
import type { WatchBodyDecoder } from "./watch_decoder.ts";

/** Largest watch frame accepted (the API server's default request limit is 3 MiB per object). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** First size of a decoder's buffer for an unfinished frame; it grows to the largest frame. */
const PENDING_BYTES = 64 * 1024;
/** A buffer grown beyond this for a large frame is let go once that frame is decoded. */
const PENDING_KEPT_BYTES = 1024 * 1024;

/**
 * {@link WatchBodyDecoder} of a protobuf watch: frames split across chunks
 * are joined; a malformed frame throws.
 */
export class ProtobufWatchDecoder<T extends KubeObject> implements WatchBodyDecoder<T> {
  readonly #schema: MessageSchema;
  // The unfinished frame at the end of the last chunk, carried over to the
  // next in one buffer that is reused: each byte is copied once however many
  // chunks its frame spans, and streaming allocates nothing per chunk.
  #pending = new Uint8Array(0);
  #pendingLength = 0;
  /** Bytes needed before the next frame can be complete (its header: 4). */
  #needed = 4;

  constructor(schema: MessageSchema) {
    this.#schema = schema;
  }

  push(chunk: Uint8Array, out: WatchEvent<T>[]): void {
    if (this.#pendingLength > 0 || chunk.length < this.#needed) {
      this.#append(chunk);
      if (this.#pendingLength < this.#needed) return;
    }
    const carried = this.#pendingLength > 0;
    const bytes = carried ? this.#pending.subarray(0, this.#pendingLength) : chunk;
    let offset = 0;
    this.#needed = 4;
    while (bytes.length - offset >= 4) {
      const length = ((bytes[offset] << 24) >>> 0) + (bytes[offset + 1] << 16) +
        (bytes[offset + 2] << 8) + bytes[offset + 3];
      if (length > MAX_FRAME_BYTES) {
        throw new ProtobufError(`Watch frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
      }
      if (bytes.length - offset - 4 < length) {
        this.#needed = 4 + length;
        break;
      }
      const frame = bytes.subarray(offset + 4, offset + 4 + length);
      offset += 4 + length;
      out.push(decodeWatchFrame<T>(frame, this.#schema));
    }
    // The rest is kept in the decoder's buffer: the chunk's is reused by the next read.
    if (carried) {
      this.#pending.copyWithin(0, offset, this.#pendingLength);
      this.#pendingLength -= offset;
    } else if (offset < chunk.length) {
      this.#append(chunk.subarray(offset));
    }
    if (this.#pendingLength === 0 && this.#pending.length > PENDING_KEPT_BYTES) {
      this.#pending = new Uint8Array(0);
    }
  }

  end(_out: WatchEvent<T>[]): void {
    if (this.#pendingLength > 0) {
      throw new ProtobufError(`Watch stream ended inside a frame (${this.#pendingLength} bytes)`);
    }
  }

  #append(bytes: Uint8Array): void {
    const length = this.#pendingLength + bytes.length;
    if (length > this.#pending.length) {
      const grown = new Uint8Array(Math.max(length, 2 * this.#pending.length, PENDING_BYTES));
      grown.set(this.#pending.subarray(0, this.#pendingLength));
      this.#pending = grown;
    }
    this.#pending.set(bytes, this.#pendingLength);
    this.#pendingLength = length;
  }
}
