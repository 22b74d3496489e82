/**
 * Decoding of a watch response body: bytes → text → lines → {@link WatchEvent}s,
 * as a chain of web streams. The API server writes one JSON object per line;
 * network chunks split lines (and multibyte characters) anywhere.
 *
 * @module
 */
import type { KubeObject, WatchEvent } from "./types.ts";

const EVENT_TYPES: ReadonlySet<string> = new Set([
  "ADDED",
  "MODIFIED",
  "DELETED",
  "BOOKMARK",
  "ERROR",
]);

/**
 * Splits a stream of text chunks into lines. Guarantees: each output is one
 * complete line without its "\n" (or "\r\n"); blank and whitespace-only lines
 * are dropped; a last line without a trailing newline is emitted at the end of
 * the input. Chunk boundaries anywhere, even inside a "\r\n", are handled.
 */
export class LineSplitStream extends TransformStream<string, string> {
  constructor() {
    // Pieces of the current, unfinished line: joined once when its newline
    // arrives, so a large object split into many chunks is copied only once.
    let pending: string[] = [];
    const emit = (line: string, controller: TransformStreamDefaultController<string>) => {
      if (line.trim() !== "") controller.enqueue(line.endsWith("\r") ? line.slice(0, -1) : line);
    };
    super({
      transform(chunk, controller) {
        let start = 0;
        for (let nl = chunk.indexOf("\n"); nl !== -1; nl = chunk.indexOf("\n", start)) {
          pending.push(chunk.slice(start, nl));
          emit(pending.join(""), controller);
          pending = [];
          start = nl + 1;
        }
        if (start < chunk.length) pending.push(chunk.slice(start));
      },
      flush(controller) {
        emit(pending.join(""), controller);
        pending = [];
      },
    });
  }
}

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

/** A stream stage that parses lines with {@link parseWatchEvent}; a bad line errors the stream. */
export class WatchEventParseStream<T extends KubeObject>
  extends TransformStream<string, WatchEvent<T>> {
  constructor() {
    super({
      transform(line, controller) {
        controller.enqueue(parseWatchEvent<T>(line));
      },
    });
  }
}

/**
 * The watch events of a response body. Cancelling the returned stream (or its
 * reader) cancels `body`, which releases the connection.
 */
export function decodeWatchStream<T extends KubeObject>(
  body: ReadableStream<Uint8Array>,
): ReadableStream<WatchEvent<T>> {
  return body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new LineSplitStream())
    .pipeThrough(new WatchEventParseStream<T>());
}

function abbreviate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
