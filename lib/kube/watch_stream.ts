/**
 * A watch response as a stream of events, decoded a network chunk at a time
 * (JSON lines or protobuf frames, see `watch_decoder.ts` and
 * `kube_protobuf.ts`).
 *
 * @module
 */
import { chunkReader } from "./body_chunks.ts";
import { TransportError } from "./errors.ts";
import type { HttpCall, HttpTransport } from "./http_transport.ts";
import { isProtobuf } from "./kube_protobuf.ts";
import { ProtobufWatchDecoder } from "./protobuf_watch_decoder.ts";
import type { MessageSchema } from "./protobuf.ts";
import type { KubeObject, WatchEvent } from "./types.ts";
import { JsonWatchDecoder } from "./watch_decoder.ts";

/**
 * The events of the watch `call` sends: decoded as protobuf with `schema` when
 * the server answers in protobuf, else as JSON; ends (without error) when
 * `call.signal` aborts.
 * @throws {TransportError} when the stream breaks or carries a malformed event
 */
export async function* watchEvents<T extends KubeObject>(
  transport: HttpTransport,
  call: HttpCall,
  schema?: MessageSchema,
): AsyncGenerator<WatchEvent<T>> {
  const signal = call.signal;
  if (signal?.aborted) return;
  let response: Response;
  try {
    ({ response } = await transport.send(call));
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  }
  if (!response.body) return;
  const decoder = schema && isProtobuf(response.headers.get("content-type"))
    ? new ProtobufWatchDecoder<T>(schema)
    : new JsonWatchDecoder<T>();
  const reader = chunkReader(response.body);
  // The transport's own abort wiring covers the request until its headers;
  // a stream that has started is ended here, or an aborted watch would wait
  // for the server's next event (a bookmark can be a minute away).
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    // Events are decoded a network chunk at a time, with no stream stage per
    // event; the decoders copy what they keep of a chunk (its buffer is reused).
    for (;;) {
      const chunk = await reader.read();
      const done = chunk === undefined;
      const events: WatchEvent<T>[] = [];
      let malformed: unknown;
      try {
        if (done) decoder.end(events);
        else decoder.push(chunk, events);
      } catch (err) {
        malformed = err;
      }
      for (const event of events) yield event;
      if (malformed !== undefined) throw malformed;
      if (done) return;
    }
  } catch (err) {
    if (signal?.aborted) return;
    throw new TransportError(`${call.method} ${call.path}`, err);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Releases the connection when the consumer stops early. On a stream that
    // already failed, cancel() rejects with the error handled just above.
    await reader.cancel().catch(() => {});
  }
}
