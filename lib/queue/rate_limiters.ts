/**
 * Rate limiters for the work queue (the model of client-go's
 * `workqueue/default_rate_limiters.go`): each says how long a key should wait
 * before it is retried, and limiters combine by taking the maximum.
 *
 * @module
 */
import { type Clock, realClock } from "../clock.ts";
import { TokenBucket } from "./token_bucket.ts";

/** Decides how long a key waits before it is processed again. */
export interface RateLimiter<K> {
  /** Milliseconds `key` should wait now; each call counts as one more requeue. */
  when(key: K): number;
  /** Forgets `key`'s history (call after it was processed successfully). */
  forget(key: K): void;
  /** How many times `key` was requeued since it was last forgotten. */
  numRequeues(key: K): number;
}

/**
 * First per-key retry delay. Small, because most failures (a conflict, a
 * stale cache) are gone on the next try.
 */
export const DEFAULT_BASE_DELAY_MS = 5;
/**
 * Longest per-key retry delay: 1000 s (~17 min), as in client-go, so a broken
 * object costs a few calls per quarter hour yet recovers on its own.
 */
export const DEFAULT_MAX_DELAY_MS = 1_000_000;
/**
 * Overall retry rate across all keys. It bounds the API load of a mass failure
 * (e.g. every object failing at once after an outage) to 10 retries per second.
 */
export const DEFAULT_QPS = 10;
/** Retries allowed at once before {@link DEFAULT_QPS} applies, so isolated failures retry fast. */
export const DEFAULT_BURST = 100;
/** Spacing of {@link MinIntervalRateLimiter}: at most ten items per second. */
export const DEFAULT_MIN_INTERVAL_MS = 100;

/**
 * Per-key exponential back-off: `baseMs * 2^n` for the n-th requeue of a key
 * (5, 10, 20, … ms by default), capped at `maxMs`. Remembers every key until
 * {@link forget}.
 */
export class ItemExponentialFailureRateLimiter<K> implements RateLimiter<K> {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly #failures = new Map<K, number>();

  /** @throws {RangeError} unless 0 < baseMs <= maxMs and both are finite */
  constructor(baseMs: number = DEFAULT_BASE_DELAY_MS, maxMs: number = DEFAULT_MAX_DELAY_MS) {
    if (!(baseMs > 0) || !Number.isFinite(baseMs)) {
      throw new RangeError(`baseMs must be a positive number, got ${baseMs}`);
    }
    if (!(maxMs >= baseMs) || !Number.isFinite(maxMs)) {
      throw new RangeError(`maxMs must be a number >= baseMs (${baseMs}), got ${maxMs}`);
    }
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2 ** n becomes Infinity for large n; Math.min then caps it.
    return Math.min(this.maxMs, this.baseMs * 2 ** failures);
  }

  forget(key: K): void {
    this.#failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.#failures.get(key) ?? 0;
  }
}

/**
 * One {@link TokenBucket} shared by all keys: a burst of immediate retries,
 * then one per `1/qps` seconds. Keeps no per-key state.
 */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  readonly #bucket: TokenBucket;

  constructor(bucket: TokenBucket) {
    this.#bucket = bucket;
  }

  when(_key: K): number {
    return this.#bucket.reserve();
  }

  forget(_key: K): void {}

  numRequeues(_key: K): number {
    return 0;
  }
}

/**
 * Spaces items by at least `intervalMs` across all keys: the first goes at
 * once, each further one `intervalMs` after the previous slot (a bucket of
 * size 1). Keeps no per-key state. Not part of the default limiter.
 */
export class MinIntervalRateLimiter<K> implements RateLimiter<K> {
  readonly intervalMs: number;
  readonly #clock: Clock;
  /** The earliest time the next item may go. */
  #next = -Infinity;

  /** @throws {RangeError} unless intervalMs is a finite number >= 0 */
  constructor(intervalMs: number = DEFAULT_MIN_INTERVAL_MS, clock: Clock = realClock) {
    if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) {
      throw new RangeError(`intervalMs must be a number >= 0, got ${intervalMs}`);
    }
    this.intervalMs = intervalMs;
    this.#clock = clock;
  }

  when(_key: K): number {
    const now = this.#clock.now();
    const slot = Math.max(now, this.#next);
    this.#next = slot + this.intervalMs;
    return slot - now;
  }

  forget(_key: K): void {}

  numRequeues(_key: K): number {
    return 0;
  }
}

/**
 * Combines limiters: waits the longest of their delays. Every limiter is
 * asked on every call, so each keeps its own count.
 */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  readonly #limiters: readonly RateLimiter<K>[];

  /** @throws {RangeError} when no limiter is given */
  constructor(...limiters: RateLimiter<K>[]) {
    if (limiters.length === 0) throw new RangeError("MaxOfRateLimiter needs at least one limiter");
    this.#limiters = limiters;
  }

  when(key: K): number {
    let longest = 0;
    for (const limiter of this.#limiters) longest = Math.max(longest, limiter.when(key));
    return longest;
  }

  forget(key: K): void {
    for (const limiter of this.#limiters) limiter.forget(key);
  }

  numRequeues(key: K): number {
    let most = 0;
    for (const limiter of this.#limiters) most = Math.max(most, limiter.numRequeues(key));
    return most;
  }
}

/**
 * client-go's default controller limiter: the maximum of per-key exponential
 * back-off (5 ms … 1000 s) and an overall bucket (10 per second, burst 100).
 */
export function defaultControllerRateLimiter<K>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialFailureRateLimiter<K>(DEFAULT_BASE_DELAY_MS, DEFAULT_MAX_DELAY_MS),
    new BucketRateLimiter<K>(
      new TokenBucket({ qps: DEFAULT_QPS, burst: DEFAULT_BURST, clock }),
    ),
  );
}
