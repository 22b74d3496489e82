/**
 * Per-key debouncing of event bursts: a key is delivered once its events have
 * been quiet for a window, or once it has waited the maximum, whichever comes
 * first. Used in front of the work queue so that a burst of watch events for
 * one object costs one reconcile.
 *
 * @module
 */
import { type Clock, realClock, type Timer } from "../clock.ts";

/**
 * How many windows a key may be postponed at most by default, so an object
 * that changes constantly is still delivered about every ten windows.
 */
export const DEFAULT_MAX_WAIT_WINDOWS = 10;

/** Options of {@link Debouncer}. */
export interface DebounceOptions {
  /** Quiet time a key needs before it is delivered; 0 delivers every add at once. */
  readonly windowMs: number;
  /**
   * Longest a key waits after its first undelivered add, however busy it is;
   * >= `windowMs`, may be `Infinity`. Default `windowMs * 10`.
   */
  readonly maxWaitMs?: number;
  readonly clock?: Clock;
}

interface Pending {
  /** When the first undelivered add happened. */
  readonly first: number;
  /** When the key is to be delivered; only ever moves later. */
  due: number;
  timer: Timer;
}

/**
 * Coalesces adds of the same key. Guarantees: every add is followed by a
 * delivery of its key no earlier than the add (unless {@link close}d first),
 * no key is delivered later than `maxWaitMs` after its first pending add, and
 * a key is pending at most once. Keys are independent of each other.
 */
export class Debouncer<K> {
  readonly windowMs: number;
  readonly maxWaitMs: number;
  readonly #deliver: (key: K) => void;
  readonly #clock: Clock;
  readonly #pending = new Map<K, Pending>();
  #closed = false;

  /**
   * @param deliver called with each key when it is due (e.g. the queue's `add`);
   *   it runs from a timer, so it must not throw
   * @throws {RangeError} unless 0 <= windowMs <= maxWaitMs and windowMs is finite
   */
  constructor(deliver: (key: K) => void, options: DebounceOptions) {
    const { windowMs } = options;
    if (!(windowMs >= 0) || !Number.isFinite(windowMs)) {
      throw new RangeError(`windowMs must be a finite number >= 0, got ${windowMs}`);
    }
    const maxWaitMs = options.maxWaitMs ?? windowMs * DEFAULT_MAX_WAIT_WINDOWS;
    if (!(maxWaitMs >= windowMs)) {
      throw new RangeError(`maxWaitMs must be >= windowMs (${windowMs}), got ${maxWaitMs}`);
    }
    this.windowMs = windowMs;
    this.maxWaitMs = maxWaitMs;
    this.#deliver = deliver;
    this.#clock = options.clock ?? realClock;
  }

  /** Keys waiting to be delivered. */
  get pending(): number {
    return this.#pending.size;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Delays `key` to `windowMs` from now (capped by `maxWaitMs`); ignored once closed. */
  add(key: K): void {
    if (this.#closed) return;
    if (this.windowMs === 0) {
      this.#deliver(key);
      return;
    }
    const now = this.#clock.now();
    const pending = this.#pending.get(key);
    if (pending) {
      // The timer is left alone: when it fires it re-arms for the new due time,
      // so a burst of N adds costs a few timers rather than N.
      pending.due = Math.min(now + this.windowMs, pending.first + this.maxWaitMs);
      return;
    }
    const timer = this.#clock.setTimer(() => this.#fire(key), this.windowMs);
    this.#pending.set(key, { first: now, due: now + this.windowMs, timer });
  }

  /** Cancels every timer and drops pending keys without delivering them. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const pending of this.#pending.values()) pending.timer.cancel();
    this.#pending.clear();
  }

  #fire(key: K): void {
    const pending = this.#pending.get(key);
    if (!pending) return;
    const now = this.#clock.now();
    if (pending.due > now) {
      pending.timer = this.#clock.setTimer(() => this.#fire(key), pending.due - now);
      return;
    }
    this.#pending.delete(key);
    this.#deliver(key);
  }
}
