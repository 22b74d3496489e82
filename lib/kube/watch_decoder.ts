/**
 * Decoding of a watch response body: bytes → {@link WatchEvent}s, chunk by
 * chunk, without a stream stage per event (a streaming list of 10,000 objects
 * is 10,000 events). The API server writes one JSON object per line; network
 * chunks split lines (and multibyte characters) anywhere. The protobuf
 * decoder is in `kube_protobuf.ts`.
 *
 * @module
 */
import type { KubeObject, WatchEvent } from "./types.ts";

/** The types a watch event may have. */
export const EVENT_TYPES: ReadonlySet<string> = new Set([
  "ADDED",
  "MODIFIED",
  "DELETED",
  "BOOKMARK",
  "ERROR",
]);

/**
 * Parses one line of a watch stream.
 *
 * @throws {SyntaxError} when the line is not JSON
 * @throws {TypeError} when it is JSON but not `{ type, object }` with a known type
 */
export function parseWatchEvent<T extends KubeObject>(line: string): WatchEvent<T> {
  const value: unknown = JSON.parse(line);
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`Watch event is not an object: ${abbreviate(line)}`);
  }
  const { type, object } = value as { type?: unknown; object?: unknown };
  if (typeof type !== "string" || !EVENT_TYPES.has(type)) {
    throw new TypeError(
      `Watch event has unknown type ${JSON.stringify(type)}: ${abbreviate(line)}`,
    );
  }
  if (typeof object !== "object" || object === null) {
    throw new TypeError(`Watch event "${type}" has no object: ${abbreviate(line)}`);
  }
  return value as WatchEvent<T>;
}

/**
 * An incremental decoder of a watch body: bytes in, complete events out.
 * Used directly (no stream stage per event) where events are many. A
 * malformed event throws, after the events before it were appended.
 */
export interface WatchBodyDecoder<T extends KubeObject> {
  /**
   * Appends to `out` the events completed by `chunk`, in order. `chunk` is
   * valid during the call only (its buffer is reused for the next read): a
   * decoder copies what it keeps.
   */
  push(chunk: Uint8Array, out: WatchEvent<T>[]): void;
  /** Appends to `out` the events of what is left at the end of the body. */
  end(out: WatchEvent<T>[]): void;
}

/** {@link WatchBodyDecoder} of the JSON encoding: one event per line. */
export class JsonWatchDecoder<T extends KubeObject> implements WatchBodyDecoder<T> {
  readonly #text = new TextDecoder();
  // Pieces of the current, unfinished line: only new text is searched for a
  // newline, and a large object split into many chunks is joined once.
  #pieces: string[] = [];

  push(chunk: Uint8Array, out: WatchEvent<T>[]): void {
    this.#lines(this.#text.decode(chunk, { stream: true }), out);
  }

  end(out: WatchEvent<T>[]): void {
    this.#lines(this.#text.decode(), out);
    this.#emit(out);
  }

  #lines(text: string, out: WatchEvent<T>[]): void {
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      this.#pieces.push(text.slice(start, nl));
      start = nl + 1;
      this.#emit(out);
    }
    if (start < text.length) this.#pieces.push(text.slice(start));
  }

  /** Parses the line made of the pending pieces, unless it is blank. */
  #emit(out: WatchEvent<T>[]): void {
    const line = this.#pieces.join("");
    this.#pieces = [];
    if (line.trim() !== "") out.push(parseWatchEvent<T>(line));
  }
}

function abbreviate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
