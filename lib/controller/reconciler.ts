/**
 * The reconciler contract (controller-runtime's `reconcile.Reconciler`).
 *
 * A reconciler gets a key, never an object: it reads the current state from
 * the cache (level-based), so missed or coalesced events cannot make it wrong.
 * What the controller does with each outcome:
 *
 * | outcome                                   | queue                           | `result` label  |
 * | ----------------------------------------- | ------------------------------- | --------------- |
 * | returns nothing / `{}`                    | `forget` (backoff reset)        | `success`       |
 * | returns `{ requeueAfterMs }`              | `forget`, then `addAfter`       | `requeue_after` |
 * | returns `{ requeue: true }`               | `addRateLimited` (backoff grows)| `requeue`       |
 * | throws {@link TerminalError}              | `forget`; not retried           | `terminal`      |
 * | throws anything else                      | `addRateLimited`                | `error`         |
 *
 * A terminal error means "retrying cannot help until the object changes" (an
 * invalid spec); the next change of the object queues it again.
 *
 * @module
 */

/** What the controller asks a reconciler to do. */
export interface ReconcileRequest {
  /** `namespace/name` */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /** Why it was queued ("added", "updated", "owned StatefulSet updated", "requeue", …), for logs. */
  readonly reason: string;
}

/** The outcome of a successful reconcile. */
export interface ReconcileResult {
  /** Reconcile again after this delay (e.g. to poll an external condition). */
  readonly requeueAfterMs?: number;
  /** Reconcile again with rate-limited backoff. */
  readonly requeue?: boolean;
}

/** Brings the world in line with one object's spec. */
export interface Reconciler {
  /**
   * Reconciles the object behind `request.key`. `signal` aborts when the
   * controller stops or leadership is lost: stop writing then.
   */
  reconcile(request: ReconcileRequest, signal: AbortSignal): Promise<ReconcileResult | void>;
}

/** An error that retrying will not fix; the key is not requeued. */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
  /** A machine-readable reason, e.g. "InvalidSpec". */
  readonly reason: string;

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** The `result` label of the reconcile metrics. */
export type ReconcileOutcome = "success" | "error" | "requeue" | "requeue_after" | "terminal";

/** Every {@link ReconcileOutcome}, in a fixed order (metrics pre-create each at zero). */
export const RECONCILE_OUTCOMES: readonly ReconcileOutcome[] = [
  "success",
  "error",
  "requeue",
  "requeue_after",
  "terminal",
];

/** Splits `namespace/name` (or `name`) into a request. */
export function requestFor(key: string, reason: string): ReconcileRequest {
  const slash = key.indexOf("/");
  return slash < 0
    ? { key, namespace: "", name: key, reason }
    : { key, namespace: key.slice(0, slash), name: key.slice(slash + 1), reason };
}
