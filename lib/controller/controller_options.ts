/**
 * What a {@link Controller} is given: what it watches, its reconciler, and its
 * tuning, with their defaults (see `controller.ts`, and `builder.ts` for the
 * usual way to assemble them).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Informer } from "../cache/informer.ts";
import type { KubeObject } from "../kube/types.ts";
import type { WorkQueueMetricsProvider } from "../queue/queue_metrics.ts";
import type { RateLimiter } from "../queue/rate_limiters.ts";
import type { WorkQueuePriority } from "../queue/work_queue.ts";
import type { ReconcileOutcome, Reconciler } from "./reconciler.ts";

/**
 * Default number of concurrent reconciles. Reconciles mostly wait on the API
 * server, so several overlap usefully on one event loop; the client-side QPS
 * limit, not this number, bounds the load on the API server.
 */
export const DEFAULT_WORKERS = 8;
/** Default time in-flight reconciles get to finish on a graceful stop. */
export const DEFAULT_DRAIN_MS = 10_000;

/** What a controller needs of an informer: its cache and its change notifications. */
export type Source<T extends KubeObject> = Pick<Informer<T>, "store" | "addHandler" | "resource">;

/**
 * A watched resource whose changes queue primary objects: `map` names the key
 * (`namespace/name`) of the primary object a changed object belongs to, or
 * undefined for none (controller-runtime's `Watches` with a map function; see
 * `builder.ts` for the usual maps).
 */
export interface Watch {
  readonly source: Source<KubeObject>;
  readonly map: (obj: KubeObject) => string | undefined;
  /**
   * Which changes queue anything (default: all; controller-runtime's
   * predicates). `oldObj` is undefined for an add, `newObj` for a delete.
   */
  readonly predicate?: (oldObj: KubeObject | undefined, newObj: KubeObject | undefined) => boolean;
}

/** Options of {@link Controller}. */
export interface ControllerOptions<T extends KubeObject> {
  /** Names the queue and the metrics (`name` label). */
  readonly name: string;
  /** The primary resource's informer; its kind is what owned objects point at. */
  readonly primary: Source<T>;
  /** Other resources whose changes queue a primary object (owned children, related objects). */
  readonly watches?: readonly Watch[];
  readonly reconciler: Reconciler;
  /** Concurrent reconciles (default {@link DEFAULT_WORKERS}). */
  readonly workers?: number;
  readonly rateLimiter?: RateLimiter<string>;
  readonly queueMetrics?: WorkQueueMetricsProvider;
  /** Per-key debounce window for event bursts in ms; 0 (default) enqueues at once. */
  readonly debounceMs?: number;
  /** Queue priority of a primary object (default "normal"); read from the cache when its key is queued. */
  readonly priority?: (obj: T) => WorkQueuePriority;
  /** Which updates of a primary object need a reconcile (default: all). */
  readonly updatePredicate?: (oldObj: T, newObj: T) => boolean;
  /**
   * Re-queue every primary object this often (ms); 0 (default) = never. The
   * owned-object watches already report drift of children, so a periodic
   * resync only costs a reconcile per object; use it when something pgop does
   * not watch can change.
   */
  readonly resyncMs?: number;
  /** Called after each reconcile with its outcome and duration. */
  readonly onReconcile?: (outcome: ReconcileOutcome, seconds: number) => void;
  /**
   * Busy time of the workers (real ms) after which they let the event loop
   * turn (default {@link DEFAULT_SLICE_MS}); 0 = never (tests on a fake clock).
   */
  readonly timeSliceMs?: number;
  readonly clock?: Clock;
}
