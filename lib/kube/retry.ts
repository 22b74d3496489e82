/**
 * Retry policy of the REST client, as pure functions: which answers are worth
 * another attempt, how long to wait before it, and how to read `Retry-After`.
 * Nothing here sleeps or reads a clock; the client passes time and randomness in.
 *
 * @module
 */

/** Verbs in client-go terms, as used in metrics and retry decisions. */
export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "apply" | "delete";

/** Default first backoff step: short, since most transient errors clear fast. */
export const DEFAULT_BACKOFF_BASE_MS = 200;
/** Default ceiling of the exponential backoff, so a long outage is probed every ~10 s. */
export const DEFAULT_BACKOFF_MAX_MS = 10_000;
/**
 * Ceiling on a server-sent `Retry-After`, in seconds. The API server sends
 * small values (1 s for priority-and-fairness rejections); a huge value is
 * more likely a proxy's mistake than a real request to wait that long.
 */
export const MAX_RETRY_AFTER_SECONDS = 60;

/** Options of {@link retryDelayMs}. */
export interface RetryDelayOptions {
  /** What the server asked for; wins over backoff when present (capped at {@link MAX_RETRY_AFTER_SECONDS}). */
  readonly retryAfterSeconds?: number;
  /** First backoff step in milliseconds. */
  readonly baseMs?: number;
  /** Largest backoff in milliseconds. */
  readonly maxMs?: number;
  /** Source of jitter in [0, 1); `Math.random` by default. */
  readonly random?: () => number;
}

/**
 * The delay before retry number `attempt + 1` (`attempt` counts failures so
 * far, from 0). With `retryAfterSeconds` it is that many seconds (capped);
 * otherwise exponential backoff `baseMs * 2^attempt`, capped at `maxMs`, with
 * "equal jitter": the result lies in [half, full] of the step, so retries of
 * many clients spread out but never collapse to zero.
 *
 * @throws {RangeError} when `attempt` is negative or not an integer
 */
export function retryDelayMs(attempt: number, options: RetryDelayOptions = {}): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`attempt must be an integer >= 0, got ${attempt}`);
  }
  const { retryAfterSeconds } = options;
  const random = options.random ?? Math.random;
  if (
    retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0
  ) {
    // Never earlier than asked; up to half again later, so that requests turned
    // away in one burst do not all come back in the same instant.
    const asked = Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) * 1000;
    return asked + (asked / 2) * random();
  }
  const baseMs = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
  // 2^attempt overflows to Infinity for large attempts; min() keeps it finite.
  const step = Math.min(maxMs, baseMs * 2 ** attempt);
  return step / 2 + (step / 2) * random();
}

/**
 * Reads a `Retry-After` header: delta-seconds ("3") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `nowMs`, wall-clock epoch
 * milliseconds). Returns whole seconds >= 0, or undefined when the header is
 * absent or unreadable. Does not cap; {@link retryDelayMs} does.
 */
export function parseRetryAfter(
  header: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === "") return undefined;
  if (/^\d+$/.test(value)) return Number.parseInt(value, 10);
  // Only date-looking values: Date.parse accepts odd inputs such as "1.5".
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** GET-like verbs: repeating them cannot change anything on the server. */
export function isIdempotent(verb: Verb): boolean {
  return verb === "get" || verb === "list" || verb === "watch";
}

/**
 * Whether an HTTP answer `code` to `verb` deserves another attempt.
 * - 429 always: the server says it did not process the request.
 * - 5xx with `Retry-After`, and 502/503/504 without it, for idempotent verbs only:
 *   a write may have been applied before the error.
 * Everything else (4xx, 500 without `Retry-After`) is final.
 */
export function shouldRetryStatus(verb: Verb, code: number, hasRetryAfter: boolean): boolean {
  if (code === 429) return true;
  if (!isIdempotent(verb) || code < 500 || code > 599) return false;
  return hasRetryAfter || code === 502 || code === 503 || code === 504;
}

/**
 * Whether a transport failure of `verb` deserves another attempt: always for
 * idempotent verbs; for writes only when the connection was never established
 * (so the server cannot have seen the request).
 */
export function shouldRetryTransport(verb: Verb, neverSent: boolean): boolean {
  return isIdempotent(verb) || neverSent;
}

/**
 * Whether a `fetch` rejection happened while connecting (DNS, TCP connect, TLS
 * handshake), before any byte of the request was sent. Deno's fetch exposes
 * no error code for this; the underlying hyper error kind "(Connect)" appears
 * only in the message of the error or its cause, so this is the one place that
 * reads message text. Unknown shapes count as "maybe sent" (the safe answer).
 */
export function isConnectPhaseError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.message.includes("client error (Connect)")) return true;
  }
  return false;
}
