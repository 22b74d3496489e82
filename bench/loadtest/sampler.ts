/**
 * The time series of a run: a point every 250 ms (created, reconciled, Ready,
 * queue depth, cumulative requests, RSS), read from a callback.
 *
 * @module
 */
import { type Clock, realClock, type Timer } from "../../lib/clock.ts";

/** One point; `t` in seconds since creation started. */
export interface SeriesPoint {
  readonly t: number;
  readonly created: number;
  readonly reconciled: number;
  readonly ready: number;
  readonly queueDepth?: number;
  /** Requests of the system under test so far. */
  readonly requests: number;
  readonly rssBytes?: number;
}

/** Default time between points: often enough to see a queue build up and drain. */
export const SAMPLE_INTERVAL_MS = 250;

/**
 * Calls `read` every `intervalMs` and keeps the points. A read still running
 * when the next is due is not overlapped (that point is skipped); a read
 * that fails is skipped too (a scrape of a process that is shutting down).
 */
export class Sampler {
  readonly #read: () => Promise<SeriesPoint>;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #points: SeriesPoint[] = [];
  #timer: Timer | undefined;
  #busy: Promise<void> | undefined;

  /** Starts nothing. */
  constructor(
    read: () => Promise<SeriesPoint>,
    options: { clock?: Clock; intervalMs?: number } = {},
  ) {
    this.#read = read;
    this.#clock = options.clock ?? realClock;
    this.#intervalMs = options.intervalMs ?? SAMPLE_INTERVAL_MS;
  }

  /** The points so far. */
  get points(): readonly SeriesPoint[] {
    return this.#points;
  }

  /** Takes a point now and then every interval. */
  start(): void {
    if (this.#timer) return;
    const tick = () => {
      this.#take();
      this.#timer = this.#clock.setTimer(tick, this.#intervalMs);
    };
    tick();
  }

  /** Stops, waits for a read in flight, takes a last point, and returns them all. */
  async stop(): Promise<readonly SeriesPoint[]> {
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#busy;
    this.#take();
    await this.#busy;
    return this.#points;
  }

  #take(): void {
    if (this.#busy) return;
    this.#busy = this.#read()
      .then((p) => void this.#points.push(p), () => {})
      .finally(() => (this.#busy = undefined));
  }
}
