/**
 * The API server's Retry-After, kept per Database: a reconcile whose request
 * was shed (429 with Retry-After, after the transport's own retries) holds its
 * Database until then, so that an event queueing it again (a pod turning
 * ready, a child's status) does not send the same request sooner than the
 * server asked.
 *
 * @module
 */
import { ApiError } from "../kube/errors.ts";

/** Most keys held at once; the oldest are dropped first (a hold is only a courtesy). */
const MAX_HELD = 10_000;

/** Per key, the time (clock ms) before which it should send nothing. */
export class RetryAfterHold {
  readonly #until = new Map<string, number>();

  /** Holds `key` for the error's Retry-After, when it is a shed request that has one. */
  hold(key: string, error: unknown, now: number): void {
    if (!(error instanceof ApiError) || error.code !== 429) return;
    const seconds = error.retryAfterSeconds;
    if (seconds === undefined || !(seconds > 0)) return;
    this.#until.delete(key);
    this.#until.set(key, now + seconds * 1000);
    if (this.#until.size > MAX_HELD) this.#until.delete(this.#until.keys().next().value as string);
  }

  /** Milliseconds `key` must still wait; undefined when it may go on (the hold is then dropped). */
  remaining(key: string, now: number): number | undefined {
    const until = this.#until.get(key);
    if (until === undefined) return undefined;
    if (now >= until) {
      this.#until.delete(key);
      return undefined;
    }
    return Math.ceil(until - now);
  }
}
