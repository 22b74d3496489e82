/**
 * Turning a non-2xx answer into an {@link ApiError}: read the `metav1.Status`
 * body when there is one, keep plain-text bodies (from proxies, or "404 page
 * not found" for an unknown path) as the message, and keep `Retry-After`.
 *
 * @module
 */
import { ApiError } from "./errors.ts";
import { redactStatus } from "./redact.ts";
import { parseRetryAfter } from "./retry.ts";
import type { Status } from "./types.ts";

/** Longest plain-text body kept as a message; HTML error pages can be large. */
const MAX_TEXT_MESSAGE = 300;

/**
 * The `Status` in a response body: the decoded object when the body is JSON
 * with `kind: "Status"`; a synthetic `{ status: "Failure", message, code }` for
 * any other non-empty body (its text, trimmed and shortened); undefined for an
 * empty body. Never throws.
 */
export function parseStatus(code: number, body: string): Status | undefined {
  const text = body.trim();
  if (text === "") return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (isStatus(value)) return value;
  } catch {
    // Not JSON: fall through and keep the text.
  }
  const message = text.length > MAX_TEXT_MESSAGE ? `${text.slice(0, MAX_TEXT_MESSAGE)}…` : text;
  return { status: "Failure", message, code };
}

/**
 * The {@link ApiError} for a non-2xx answer. `retryAfterSeconds` comes from
 * the `Retry-After` header, else from `Status.details.retryAfterSeconds`.
 * With `sensitive` (a request that carried credentials, see redact.ts) the
 * server's messages are replaced by ones that name no value.
 *
 * @param nowMs wall-clock epoch milliseconds, for an HTTP-date `Retry-After`
 */
export function apiErrorFromResponse(
  code: number,
  body: string,
  options: {
    readonly retryAfter?: string | null;
    readonly request?: string;
    readonly nowMs: number;
    readonly sensitive?: boolean;
  },
): ApiError {
  const parsed = parseStatus(code, body);
  const status = options.sensitive ? redactStatus(parsed, code) : parsed;
  const retryAfterSeconds = parseRetryAfter(options.retryAfter, options.nowMs);
  return new ApiError(code, status, { request: options.request, retryAfterSeconds });
}

function isStatus(value: unknown): value is Status {
  return typeof value === "object" && value !== null &&
    (value as { kind?: unknown }).kind === "Status";
}
