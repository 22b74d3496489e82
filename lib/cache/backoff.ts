/**
 * Exponential backoff with jitter and a reset after a quiet period (the model
 * of client-go's `wait.NewExponentialBackoffManager` as the reflector uses it:
 * 800 ms doubling to 30 s, jitter 1.0, reset after 2 minutes without a failure).
 *
 * @module
 */
import { type Clock, realClock } from "../clock.ts";

/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** First delay in ms; default 800 (client-go's reflector). */
  readonly initialMs?: number;
  /** Cap of the un-jittered delay in ms; default 30 000. */
  readonly maxMs?: number;
  /** Growth per failure; default 2. */
  readonly factor?: number;
  /**
   * Each delay is `d * (1 + jitter * random())`, so instances that failed
   * together do not retry together; default 1.0 (client-go), 0 for none.
   * The longest delay is therefore `maxMs * (1 + jitter)`.
   */
  readonly jitter?: number;
  /** After this many ms without a {@link Backoff.next} call, start again from `initialMs`; default 120 000. */
  readonly resetAfterMs?: number;
  readonly clock?: Clock;
  /** Uniform [0, 1) source; default `Math.random` (inject for deterministic tests). */
  readonly random?: () => number;
}

/** Default first delay: long enough not to hammer an API server that just failed. */
export const DEFAULT_BACKOFF_INITIAL_MS = 800;
/** Default cap: a broken watch is retried at least twice a minute. */
export const DEFAULT_BACKOFF_MAX_MS = 30_000;
/** Default quiet period after which the next failure starts from the first delay again. */
export const DEFAULT_BACKOFF_RESET_MS = 120_000;

/** Computes successive retry delays; not shared between independent loops. */
export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #resetAfter: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  #current: number;
  #lastAt: number | undefined;

  /** @throws {RangeError} for a non-positive initial delay, max < initial, factor < 1 or negative jitter/reset */
  constructor(options: BackoffOptions = {}) {
    this.#initial = options.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.#max = options.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? 1;
    this.#resetAfter = options.resetAfterMs ?? DEFAULT_BACKOFF_RESET_MS;
    if (!(this.#initial > 0) || !Number.isFinite(this.#initial)) {
      throw new RangeError(`initialMs must be a positive number, got ${this.#initial}`);
    }
    if (!(this.#max >= this.#initial)) {
      throw new RangeError(`maxMs must be >= initialMs, got ${this.#max}`);
    }
    if (!(this.#factor >= 1)) throw new RangeError(`factor must be >= 1, got ${this.#factor}`);
    if (!(this.#jitter >= 0)) throw new RangeError(`jitter must be >= 0, got ${this.#jitter}`);
    if (!(this.#resetAfter >= 0)) {
      throw new RangeError(`resetAfterMs must be >= 0, got ${this.#resetAfter}`);
    }
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#current = this.#initial;
  }

  /** The delay before the next attempt, in ms; grows on each call until the cap. */
  next(): number {
    const now = this.#clock.now();
    if (this.#lastAt !== undefined && now - this.#lastAt > this.#resetAfter) this.reset();
    this.#lastAt = now;
    const base = this.#current;
    this.#current = Math.min(this.#current * this.#factor, this.#max);
    return base * (1 + this.#jitter * this.#random());
  }

  /** Starts again from the first delay. */
  reset(): void {
    this.#current = this.#initial;
  }
}
