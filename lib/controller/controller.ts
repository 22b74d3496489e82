/**
 * A controller (controller-runtime's `controller.Controller`): it watches a
 * primary resource and related resources (those it owns) through informers, turns every
 * change into a key on a de-duplicating, rate-limited work queue, and runs N
 * workers that hand keys to a {@link Reconciler}. See `reconciler.ts` for what
 * happens with each outcome.
 *
 * @module
 */
import { DEFAULT_SLICE_MS, TimeSlice } from "./time_slice.ts";
import { type ControllerOptions, DEFAULT_DRAIN_MS, DEFAULT_WORKERS } from "./controller_options.ts";

import { getLogger } from "@logtape/logtape";
import { type Clock, realClock } from "../clock.ts";
import { objectKey } from "../cache/store.ts";
import type { KubeObject } from "../kube/types.ts";
import { Debouncer } from "../queue/debounce.ts";
import { RateLimitingQueue } from "../queue/rate_limiting_queue.ts";
import {
  type ReconcileOutcome,
  type ReconcileResult,
  requestFor,
  TerminalError,
} from "./reconciler.ts";

const log = getLogger(["pgop", "controller"]);

/**
 * Checks `options` as the {@link Controller} constructor does, without making one.
 * @returns the number of workers
 * @throws {RangeError} for invalid options
 */
export function checkOptions<T extends KubeObject>(options: ControllerOptions<T>): number {
  const workers = options.workers ?? DEFAULT_WORKERS;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be an integer >= 1, got ${workers}`);
  }
  if (!((options.resyncMs ?? 0) >= 0)) {
    throw new RangeError(`resyncMs must be >= 0, got ${options.resyncMs}`);
  }
  return workers;
}

/** Runs a reconciler over a work queue fed by informers. */
export class Controller<T extends KubeObject> {
  readonly name: string;
  readonly #options: ControllerOptions<T>;
  readonly #queue: RateLimitingQueue<string>;
  readonly #clock: Clock;
  readonly #reasons = new Map<string, string>();
  readonly #workers: number;
  /** Shared by the workers: a burst of no-op reconciles yields to the event loop. */
  readonly #slice: TimeSlice | undefined;

  /** Does no I/O. @throws {RangeError} for invalid options */
  constructor(options: ControllerOptions<T>) {
    const workers = checkOptions(options);
    this.name = options.name;
    this.#options = options;
    this.#workers = workers;
    const sliceMs = options.timeSliceMs ?? DEFAULT_SLICE_MS;
    this.#slice = sliceMs > 0 ? new TimeSlice(sliceMs) : undefined;
    this.#clock = options.clock ?? realClock;
    this.#queue = new RateLimitingQueue<string>({
      name: options.name,
      clock: this.#clock,
      rateLimiter: options.rateLimiter,
      metrics: options.queueMetrics,
    });
  }

  /** Keys waiting in the queue. */
  get queueDepth(): number {
    return this.#queue.len;
  }

  /**
   * Feeds the queue from the informers (which must have synced: objects
   * already cached are queued at once, never-reconciled ones first) and runs
   * the workers until `signal` aborts. Then it stops taking work, gives
   * in-flight reconciles `drainMs` to finish (0: abort them at once, as on a
   * lost leadership; a function is asked at that moment) and resolves. A
   * controller runs once.
   */
  async run(
    signal: AbortSignal,
    options: { drainMs?: number | (() => number) } = {},
  ): Promise<void> {
    const reconcileAbort = new AbortController();
    const debouncer = (this.#options.debounceMs ?? 0) > 0
      ? new Debouncer<string>((key) => this.#add(key), {
        windowMs: this.#options.debounceMs ?? 0,
        clock: this.#clock,
      })
      : undefined;
    const enqueue = (key: string, reason: string) => {
      this.#reasons.set(key, reason);
      if (debouncer) debouncer.add(key);
      else this.#add(key);
    };
    const removers = this.#watch(enqueue);
    const resync = this.#startResync(enqueue);
    const workers = Array.from({ length: this.#workers }, () => this.#work(reconcileAbort.signal));
    try {
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
    } finally {
      for (const remove of removers) remove();
      resync?.cancel();
      debouncer?.close();
      const drainMs = typeof options.drainMs === "function"
        ? options.drainMs()
        : options.drainMs ?? DEFAULT_DRAIN_MS;
      if (drainMs <= 0) reconcileAbort.abort(signal.reason);
      const deadline = drainMs > 0
        ? this.#clock.setTimer(() => reconcileAbort.abort(signal.reason), drainMs)
        : undefined;
      this.#queue.shutDown();
      await Promise.all(workers);
      deadline?.cancel();
    }
  }

  #add(key: string): void {
    const obj = this.#options.primary.store.get(key);
    const priority = obj && this.#options.priority ? this.#options.priority(obj) : "normal";
    this.#queue.add(key, { priority });
  }

  #watch(enqueue: (key: string, reason: string) => void): Array<() => void> {
    const { primary, watches = [] } = this.#options;
    const predicate = this.#options.updatePredicate;
    const removers = [
      primary.addHandler({
        onAdd: (obj) => enqueue(objectKey(obj), "added"),
        onUpdate: (oldObj, newObj) => {
          if (!predicate || predicate(oldObj, newObj)) enqueue(objectKey(newObj), "updated");
        },
        onDelete: (obj) => enqueue(objectKey(obj), "deleted"),
      }),
    ];
    for (const { source, map, predicate } of watches) {
      const mapped = (obj: KubeObject, what: string) => {
        const key = map(obj);
        if (key !== undefined) enqueue(key, `${obj.kind ?? source.resource} ${what}`);
      };
      const wanted = predicate ?? (() => true);
      removers.push(source.addHandler({
        onAdd: (obj) => wanted(undefined, obj) && mapped(obj, "added"),
        onUpdate: (old, obj) => wanted(old, obj) && mapped(obj, "updated"),
        onDelete: (obj) => wanted(obj, undefined) && mapped(obj, "deleted"),
      }));
    }
    return removers;
  }

  #startResync(enqueue: (key: string, reason: string) => void) {
    const every = this.#options.resyncMs ?? 0;
    if (every <= 0) return undefined;
    let timer = { cancel() {} };
    const tick = () => {
      for (const key of this.#options.primary.store.keys()) enqueue(key, "resync");
      timer = this.#clock.setTimer(tick, every);
    };
    timer = this.#clock.setTimer(tick, every);
    return { cancel: () => timer.cancel() };
  }

  async #work(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        await this.#process(key, signal);
      } finally {
        this.#queue.done(key);
      }
      await this.#slice?.pause();
    }
  }

  async #process(key: string, signal: AbortSignal): Promise<void> {
    const reason = this.#reasons.get(key) ?? "requeue";
    this.#reasons.delete(key);
    const request = requestFor(key, reason);
    log.info("Reconciling", {
      controller: this.name,
      namespace: request.namespace,
      name: request.name,
      reason,
    });
    const started = this.#clock.now();
    let outcome: ReconcileOutcome;
    try {
      const result: ReconcileResult = (await this.#options.reconciler.reconcile(request, signal)) ??
        {};
      outcome = this.#afterSuccess(key, result);
    } catch (error) {
      if (signal.aborted) return;
      outcome = this.#afterError(key, request.namespace, request.name, error);
    }
    this.#options.onReconcile?.(outcome, (this.#clock.now() - started) / 1000);
  }

  #afterSuccess(key: string, result: ReconcileResult): ReconcileOutcome {
    if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
      this.#queue.forget(key);
      this.#queue.addAfter(key, result.requeueAfterMs);
      return "requeue_after";
    }
    if (result.requeue) {
      this.#queue.addRateLimited(key);
      return "requeue";
    }
    this.#queue.forget(key);
    return "success";
  }

  #afterError(key: string, namespace: string, name: string, error: unknown): ReconcileOutcome {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof TerminalError) {
      this.#queue.forget(key);
      log.warn("Reconcile failed; not retrying until the object changes", {
        controller: this.name,
        namespace,
        name,
        reason: error.reason,
        error: message,
      });
      return "terminal";
    }
    const retries = this.#queue.numRequeues(key);
    this.#queue.addRateLimited(key);
    log.error("Reconcile failed; retrying with backoff", {
      controller: this.name,
      namespace,
      name,
      retries,
      error: message,
      errorName: error instanceof Error ? error.name : typeof error,
    });
    return "error";
  }
}
