/**
 * A delaying queue whose retries wait as long as a {@link RateLimiter} says
 * (the model of client-go's `RateLimitingInterface`). This is the queue a
 * controller uses.
 *
 * @module
 */
import { DelayingQueue, type DelayingWorkQueue } from "./delaying_queue.ts";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate_limiters.ts";
import type { AddOptions, WorkQueueOptions } from "./work_queue.ts";

/** A {@link DelayingWorkQueue} with rate-limited retries. */
export interface RateLimitingWorkQueue<K extends string> extends DelayingWorkQueue<K> {
  /**
   * Adds `key` after the delay the rate limiter gives it (counting one more
   * requeue). Ignored, and not counted, after shut-down.
   */
  addRateLimited(key: K, options?: AddOptions): void;
  /**
   * Clears `key`'s retry history so its next failure starts from the smallest
   * delay. Call it when the key was processed successfully; it does not
   * remove the key from the queue.
   */
  forget(key: K): void;
  /** How many times `key` was rate-limited since it was last forgotten. */
  numRequeues(key: K): number;
}

/** Options of {@link RateLimitingQueue}. */
export interface RateLimitingQueueOptions<K> extends WorkQueueOptions {
  /** Default {@link defaultControllerRateLimiter} on the queue's clock. */
  readonly rateLimiter?: RateLimiter<K>;
}

/**
 * The {@link RateLimitingWorkQueue} implementation.
 *
 * @example
 * ```ts
 * const q = new RateLimitingQueue<string>({ name: "database", clock });
 * for (let key = await q.get(signal); key !== undefined; key = await q.get(signal)) {
 *   try {
 *     await reconcile(key);
 *     q.forget(key);
 *   } catch {
 *     q.addRateLimited(key);
 *   } finally {
 *     q.done(key);
 *   }
 * }
 * ```
 */
export class RateLimitingQueue<K extends string> extends DelayingQueue<K>
  implements RateLimitingWorkQueue<K> {
  readonly #limiter: RateLimiter<K>;

  /** @throws {RangeError} as {@link DelayingQueue} */
  constructor(options: RateLimitingQueueOptions<K> = {}) {
    super(options);
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter<K>(options.clock);
  }

  addRateLimited(key: K, options?: AddOptions): void {
    if (this.shuttingDown) return;
    this.addAfter(key, this.#limiter.when(key), options);
  }

  forget(key: K): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.#limiter.numRequeues(key);
  }
}
