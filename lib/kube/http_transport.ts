/**
 * One HTTP request to the API server, done well: client-side rate limit,
 * credentials, a per-attempt deadline, retries by the policy in `retry.ts`,
 * typed errors, and a hook per attempt for metrics. The verbs and paths are
 * `rest_client.ts`'s business; this is client-go's `rest.Request.request()`.
 *
 * @module
 */
import { type Clock, realClock } from "../clock.ts";
import { TokenBucket } from "../queue/token_bucket.ts";
import { TransportError } from "./errors.ts";
import type { ConnectionConfig } from "./kubeconfig.ts";
import { decodeObject, isProtobuf, STATUS } from "./kube_protobuf.ts";
import { type Resource, resourceLabel } from "./resource.ts";
import {
  isConnectPhaseError,
  retryDelayMs,
  shouldRetryStatus,
  shouldRetryTransport,
  type Verb,
} from "./retry.ts";
import { isSensitive } from "./redact.ts";
import { apiErrorFromResponse } from "./status_body.ts";

/** One finished attempt, for metrics. */
export interface RequestInfo {
  /** client-go verb: get, list, watch, create, update, patch, apply, delete. */
  readonly verb: Verb;
  /** {@link resourceLabel} of the resource, e.g. "statefulsets.apps". */
  readonly resource: string;
  /** HTTP status; 0 when no answer arrived (transport error or timeout). */
  readonly code: number;
  /** From sending to the full body (to the headers for a stream). */
  readonly durationMs: number;
  /** Time spent waiting for the client-side rate limiter before sending. */
  readonly waitedMs: number;
}

/** Options of an {@link HttpTransport} (and of the REST client). */
export interface TransportOptions {
  /** Requests per second; 0 or less: unlimited. Default {@link DEFAULT_QPS}. */
  readonly qps?: number;
  /** Requests allowed at once after a quiet period. Default {@link DEFAULT_BURST}. */
  readonly burst?: number;
  /** Limit per attempt of a request (of a stream: until its headers). */
  readonly timeoutMs?: number;
  /** Retries after the first attempt, for answers and errors that allow one. */
  readonly maxRetries?: number;
  readonly clock?: Clock;
  readonly userAgent?: string;
  /** Called after every attempt; must not throw. */
  readonly onRequest?: (info: RequestInfo) => void;
  /** Jitter source in [0, 1) for backoff; `Math.random` by default. */
  readonly random?: () => number;
}

/** client-go's defaults are 5/10; pgop's cache keeps reads rare, so writes may burst more. */
export const DEFAULT_QPS = 50;
/** See {@link DEFAULT_QPS}. */
export const DEFAULT_BURST = 100;
/** Generous: a large list page from a busy server can take seconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** With the backoff steps of `retry.ts`, about 6 s of trying before giving up. */
export const DEFAULT_MAX_RETRIES = 5;
/** Sent as `User-Agent`, so audit logs and APF can tell pgop apart. */
export const DEFAULT_USER_AGENT = "pgop/0.1";

/** What to send. `path` includes the query. */
export interface HttpCall {
  readonly verb: Verb;
  readonly resource: Resource;
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  /** `Accept` header; default JSON. */
  readonly accept?: string;
  readonly signal?: AbortSignal;
  /** Return at the headers of a 2xx answer, body unread (a watch). */
  readonly stream?: boolean;
}

/**
 * A 2xx answer; `text` is the body, or "" for a stream (read `response.body`)
 * or a protobuf body, which is in `bytes`.
 */
export interface HttpAnswer {
  readonly response: Response;
  readonly text: string;
  readonly bytes?: Uint8Array;
}

/**
 * Sends requests over a `Deno.HttpClient` (mutual TLS from the
 * {@link ConnectionConfig}). Guarantees: every attempt first takes a token
 * from the bucket; GET-like verbs are retried on transport errors, 429,
 * 502/503/504 and 5xx with `Retry-After`; writes only on 429 and on errors
 * before a connection existed; `Retry-After` (header or Status details) is
 * honoured up to 60 s, else exponential backoff with jitter. Throws
 * `ApiError` for a final non-2xx answer, `TransportError` when no answer
 * arrived, and the signal's reason when the caller's signal aborts.
 * `insecureSkipTlsVerify` is not honoured: `Deno.createHttpClient` has no such
 * switch, so such a cluster needs `--unsafely-ignore-certificate-errors=HOST`.
 */
export class HttpTransport implements Disposable {
  readonly #server: string;
  readonly #auth: () => Promise<string | undefined>;
  readonly #http: Deno.HttpClient;
  readonly #bucket: TokenBucket | undefined;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #clock: Clock;
  readonly #userAgent: string;
  readonly #onRequest: ((info: RequestInfo) => void) | undefined;
  readonly #random: () => number;
  #closed = false;

  /**
   * Opens no connection; creates the connection pool (a Deno resource: call {@link close}).
   * @throws {RangeError} for a server that is not an http(s) URL or out-of-range options
   */
  constructor(config: ConnectionConfig, options: TransportOptions = {}) {
    const url = URL.parse(config.server);
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      throw new RangeError(`server must be an http(s) URL, got "${config.server}"`);
    }
    const { timeoutMs = DEFAULT_TIMEOUT_MS, maxRetries = DEFAULT_MAX_RETRIES } = options;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new RangeError(`maxRetries must be an integer >= 0, got ${maxRetries}`);
    }
    this.#clock = options.clock ?? realClock;
    const qps = options.qps ?? DEFAULT_QPS;
    const burst = options.burst ?? DEFAULT_BURST;
    this.#bucket = qps > 0 ? new TokenBucket({ qps, burst, clock: this.#clock }) : undefined;
    this.#server = config.server.replace(/\/+$/, "");
    this.#auth = () => config.authHeader();
    this.#timeoutMs = timeoutMs;
    this.#maxRetries = maxRetries;
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#onRequest = options.onRequest;
    this.#random = options.random ?? Math.random;
    const caCerts = config.caPem ? [config.caPem] : undefined;
    this.#http = config.certPem && config.keyPem
      ? Deno.createHttpClient({ caCerts, cert: config.certPem, key: config.keyPem })
      : Deno.createHttpClient({ caCerts });
  }

  /** Closes the connection pool; idempotent. Requests after it fail with `TransportError`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#http.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Sends `call`, retrying as the class documents, and returns the 2xx answer. */
  async send(call: HttpCall): Promise<HttpAnswer> {
    const request = `${call.method} ${call.path}`;
    if (this.#closed) throw new TransportError(request, new Error("The client is closed"));
    for (let attempt = 0;; attempt++) {
      const waitedMs = this.#bucket ? await this.#bucket.take(call.signal) : 0;
      const started = this.#clock.now();
      const report = (code: number) =>
        this.#onRequest?.({
          verb: call.verb,
          resource: resourceLabel(call.resource),
          code,
          durationMs: this.#clock.now() - started,
          waitedMs,
        });
      const deadline = new AbortController();
      const timer = this.#clock.setTimer(() => deadline.abort(), this.#timeoutMs);
      const signal = call.signal
        ? AbortSignal.any([call.signal, deadline.signal])
        : deadline.signal;
      let response: Response;
      let text = "";
      let bytes: Uint8Array | undefined;
      let neverSent = true;
      try {
        const headers = await this.#headers(call.contentType, call.accept);
        neverSent = false;
        response = await fetch(this.#server + call.path, {
          method: call.method,
          headers,
          body: call.body,
          signal,
          client: this.#http,
        });
        if (!call.stream || !response.ok) {
          if (isProtobuf(response.headers.get("content-type"))) {
            bytes = await response.bytes();
            // An error is a protobuf Status: kept as its JSON for the error parser.
            if (!response.ok) text = statusJson(bytes);
          } else {
            text = await response.text();
          }
        }
      } catch (err) {
        if (call.signal?.aborted) throw call.signal.reason;
        report(0);
        const unsent = neverSent || isConnectPhaseError(err);
        if (attempt < this.#maxRetries && shouldRetryTransport(call.verb, unsent)) {
          await this.#clock.sleep(retryDelayMs(attempt, { random: this.#random }), call.signal);
          continue;
        }
        const cause = deadline.signal.aborted
          ? new Error(`Timed out after ${this.#timeoutMs} ms`, { cause: err })
          : err;
        throw new TransportError(request, cause);
      } finally {
        timer.cancel();
      }
      report(response.status);
      if (response.ok) return { response, text, bytes };
      const error = apiErrorFromResponse(response.status, text, {
        retryAfter: response.headers.get("retry-after"),
        request,
        nowMs: this.#clock.wallNow(),
        sensitive: isSensitive(call.resource),
      });
      const retryAfterSeconds = error.retryAfterSeconds;
      const serverAsked = retryAfterSeconds !== undefined;
      if (attempt < this.#maxRetries && shouldRetryStatus(call.verb, error.code, serverAsked)) {
        const delay = retryDelayMs(attempt, { retryAfterSeconds, random: this.#random });
        await this.#clock.sleep(delay, call.signal);
        continue;
      }
      throw error;
    }
  }

  async #headers(contentType: string | undefined, accept = "application/json"): Promise<Headers> {
    const headers = new Headers({ Accept: accept, "User-Agent": this.#userAgent });
    if (contentType) headers.set("Content-Type", contentType);
    const auth = await this.#auth();
    if (auth) headers.set("Authorization", auth);
    return headers;
  }
}

/** A protobuf error body as the JSON `Status` it stands for ("" when it is not one). */
function statusJson(bytes: Uint8Array): string {
  try {
    return JSON.stringify(decodeObject(bytes, STATUS));
  } catch {
    return "";
  }
}
