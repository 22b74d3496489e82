/**
 * Keeps a burst of reconciles from starving the event loop. A reconcile that
 * finds everything in place never waits for I/O, so N workers chaining them
 * run as one long stream of microtasks: while 10,000 Databases are
 * reconciled after start-up, nothing else runs — not the watch streams, not
 * `/healthz` and `/readyz`, not the Lease renewal. Workers call
 * {@link TimeSlice.pause} between reconciles; once a slice of busy time is
 * used up, every worker waits for one turn of the event loop.
 *
 * @module
 */

/** Default busy time between two turns of the event loop. */
export const DEFAULT_SLICE_MS = 10;

/** A slice of busy time shared by a controller's workers. */
export class TimeSlice {
  readonly #sliceMs: number;
  #sliceEnd = 0;
  #turn: Promise<void> | undefined;

  constructor(sliceMs = DEFAULT_SLICE_MS) {
    this.#sliceMs = sliceMs;
  }

  /**
   * Undefined while the slice lasts (the caller goes on at once); otherwise
   * a promise of the next turn of the event loop, the same for every worker
   * that asks before it comes.
   */
  pause(): Promise<void> | undefined {
    if (this.#turn) return this.#turn;
    if (performance.now() < this.#sliceEnd) return undefined;
    this.#turn = new Promise<void>((resolve) =>
      setTimeout(() => {
        this.#turn = undefined;
        this.#sliceEnd = performance.now() + this.#sliceMs;
        resolve();
      }, 0)
    );
    return this.#turn;
  }
}
