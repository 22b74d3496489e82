/**
 * A token bucket (the model of `golang.org/x/time/rate.Limiter`): tokens refill
 * at `qps` per second up to `burst`; a reservation takes one token now or in
 * the future and says how long to wait for it. Used by the work queue's overall
 * limiter and by the REST client's QPS limit.
 *
 * @module
 */
import { type Clock, realClock } from "../clock.ts";

/** Options of a {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second; must be > 0 (use no bucket at all for "unlimited"). */
  readonly qps: number;
  /** Bucket size: how many requests may go at once after a quiet period; >= 1. */
  readonly burst: number;
  readonly clock?: Clock;
}

/** A token bucket rate limiter. */
export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  readonly #clock: Clock;
  /** Tokens at time #last; negative while reservations are outstanding. */
  #tokens: number;
  #last: number;

  /** @throws {RangeError} when qps <= 0 or burst < 1 */
  constructor(options: TokenBucketOptions) {
    if (!(options.qps > 0) || !Number.isFinite(options.qps)) {
      throw new RangeError(`qps must be a positive number, got ${options.qps}`);
    }
    if (!(options.burst >= 1) || !Number.isInteger(options.burst)) {
      throw new RangeError(`burst must be an integer >= 1, got ${options.burst}`);
    }
    this.qps = options.qps;
    this.burst = options.burst;
    this.#clock = options.clock ?? realClock;
    this.#tokens = options.burst;
    this.#last = this.#clock.now();
  }

  /** Takes one token and returns the milliseconds to wait before using it (0 = now). */
  reserve(): number {
    this.#refill();
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.qps) * 1000;
  }

  /** Takes one token if one is available now; never waits. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Waits for a token. Rejects with the signal's reason on abort (the token is then returned). */
  async take(signal?: AbortSignal): Promise<number> {
    const wait = this.reserve();
    if (wait <= 0) return 0;
    try {
      await this.#clock.sleep(wait, signal);
    } catch (err) {
      this.#tokens += 1;
      throw err;
    }
    return wait;
  }

  /** Tokens available now (may be fractional). */
  get available(): number {
    this.#refill();
    return Math.max(0, this.#tokens);
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed / 1000) * this.qps);
  }
}
