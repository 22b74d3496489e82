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
  /** Appends to `out` the events completed by `chunk`, in order. */
  push(chunk: Uint8Array, out: WatchEvent<T>[]): void;
  /** Appends to `out` the events of what is left at the end of the body. */
  end(out: WatchEvent<T>[]): void;
}

/** {@link WatchBodyDecoder} of the JSON encoding: one event per line. */
export class JsonWatchDecoder<T extends KubeObject> implements WatchBodyDecoder<T> {
  readonly #text = new TextDecoder();
  #pending = "";

  push(chunk: Uint8Array, out: WatchEvent<T>[]): void {
    this.#lines(this.#text.decode(chunk, { stream: true }), false, out);
  }

  end(out: WatchEvent<T>[]): void {
    this.#lines(this.#text.decode(), true, out);
  }

  #lines(text: string, last: boolean, out: WatchEvent<T>[]): void {
    const buffer = this.#pending + text;
    let start = 0;
    for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n", start)) {
      const line = buffer.slice(start, nl);
      start = nl + 1;
      if (line.trim() !== "") out.push(parseWatchEvent<T>(line));
    }
    const rest = buffer.slice(start);
    this.#pending = last ? "" : rest;
    if (last && rest.trim() !== "") out.push(parseWatchEvent<T>(rest));
  }
}

function abbreviate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
