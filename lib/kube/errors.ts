/**
 * Typed errors of the Kubernetes client. Classify by type and fields, never by
 * message text.
 *
 * @module
 */
import type { Status } from "./types.ts";

/** The API server answered with a non-2xx status (or a watch ERROR event). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  /** HTTP status code (410 for a watch "Expired" event). */
  readonly code: number;
  /** `Status.reason`: "NotFound", "AlreadyExists", "Conflict", "Invalid", "Expired", … */
  readonly reason: string;
  readonly status: Status | undefined;
  /** Seconds the server asked us to wait (Retry-After header or status details). */
  readonly retryAfterSeconds: number | undefined;
  /** "GET /apis/…" of the failed request, for logs. */
  readonly request: string | undefined;

  constructor(
    code: number,
    status: Status | undefined,
    options: { request?: string; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    const reason = status?.reason ?? reasonForCode(code);
    const what = status?.message ?? `HTTP ${code}`;
    super(
      options.request
        ? `${what} (${options.request}: ${code} ${reason})`
        : `${what} (${code} ${reason})`,
      {
        cause: options.cause,
      },
    );
    this.code = code;
    this.reason = reason;
    this.status = status;
    this.retryAfterSeconds = options.retryAfterSeconds ?? status?.details?.retryAfterSeconds;
    this.request = options.request;
  }
}

/** No answer arrived: connection refused or reset, TLS failure, timeout. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  readonly request: string;

  constructor(request: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${request} failed: ${detail}`, { cause });
    this.request = request;
  }
}

/** The kubeconfig (or in-cluster configuration) could not be used. */
export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function reasonForCode(code: number): string {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "Unknown";
  }
}

const is = (code: number) => (err: unknown): err is ApiError =>
  err instanceof ApiError && err.code === code;

/** 404. */
export const isNotFound = is(404);
/** 409 for a stale resourceVersion or a field-manager conflict (reason "Conflict"). */
export const isConflict = (err: unknown): err is ApiError =>
  err instanceof ApiError && err.code === 409 && err.reason !== "AlreadyExists";
/** 409 with reason AlreadyExists. */
export const isAlreadyExists = (err: unknown): err is ApiError =>
  err instanceof ApiError && err.reason === "AlreadyExists";
/** 410 Gone / Expired: the resourceVersion is too old; relist. */
export const isGone = (err: unknown): err is ApiError =>
  err instanceof ApiError &&
  (err.code === 410 || err.reason === "Expired" || err.reason === "Gone");
/** 422 Invalid. */
export const isInvalid = is(422);
/** 403. */
export const isForbidden = is(403);
/** 401. */
export const isUnauthorized = is(401);
/** 429 Too Many Requests. */
export const isTooManyRequests = is(429);
