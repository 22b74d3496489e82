/**
 * Waiting for every Database to be Ready, giving up on a deadline, on a stall
 * (no Database got its first status or became Ready for a while: something is
 * stuck, waiting longer only wastes the machine), or on an interrupt.
 *
 * @module
 */
import { type Clock, realClock, type Timer } from "../../lib/clock.ts";
import type { ReadyTracker } from "./tracker.ts";

/** How the wait ended. */
export type WaitOutcome = "ready" | "timeout" | "stalled" | "interrupted" | "tracker-stopped";

/** Options of {@link waitForReady}. */
export interface WaitOptions {
  readonly timeoutMs: number;
  /** Give up when neither the Ready nor the first-status count has grown for this long. */
  readonly stallMs: number;
  /** Resolves when the tracker's watch loop ends (it only does on abort or error). */
  readonly tracking: Promise<void>;
  readonly signal: AbortSignal;
  /** How often the stall check runs (default 1 s). */
  readonly checkMs?: number;
  readonly clock?: Clock;
}

/** Waits until `n` Databases are Ready or the wait is given up, and says which. */
export async function waitForReady(
  tracker: Pick<ReadyTracker, "whenReady" | "counts">,
  n: number,
  options: WaitOptions,
): Promise<WaitOutcome> {
  const clock = options.clock ?? realClock;
  const started = clock.now();
  const progress = () => tracker.counts.ready + tracker.counts.firstStatus;
  let lastProgress = progress();
  let lastChange = started;
  let timer: Timer | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      tracker.whenReady(n).then(() => "ready" as const),
      options.tracking.then(() => "tracker-stopped" as const),
      new Promise<WaitOutcome>((resolve) => {
        const check = () => {
          const now = clock.now();
          const current = progress();
          if (current !== lastProgress) {
            lastProgress = current;
            lastChange = now;
          }
          if (now - started > options.timeoutMs) resolve("timeout");
          else if (now - lastChange > options.stallMs) resolve("stalled");
          else timer = clock.setTimer(check, options.checkMs ?? 1000);
        };
        timer = clock.setTimer(check, options.checkMs ?? 1000);
      }),
      new Promise<WaitOutcome>((resolve) => {
        onAbort = () => resolve("interrupted");
        if (options.signal.aborted) onAbort();
        else options.signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    timer?.cancel();
    if (onAbort) options.signal.removeEventListener("abort", onAbort);
  }
}
