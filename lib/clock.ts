/**
 * Time, injected. Every component that waits or measures takes a {@link Clock}
 * so that unit tests can drive it with {@link FakeClock} instead of sleeping.
 *
 * @module
 */

/** A cancellable timer handle returned by {@link Clock.setTimer}. */
export interface Timer {
  /** Cancels the timer; a no-op once it fired or was cancelled. */
  cancel(): void;
}

/** The source of time and timers. */
export interface Clock {
  /** Monotonic milliseconds; only differences are meaningful. */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps shown to people. */
  wallNow(): number;
  /** Calls `fn` once after `ms` milliseconds (0 or less: on the next turn). */
  setTimer(fn: () => void, ms: number): Timer;
  /**
   * Resolves after `ms` milliseconds, or rejects with the signal's reason as
   * soon as `signal` aborts.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A {@link Clock} backed by `performance.now()` and `setTimeout`. */
export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }

  wallNow(): number {
    return Date.now();
  }

  setTimer(fn: () => void, ms: number): Timer {
    const id = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(id) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}

/** The process-wide real clock. */
export const realClock: Clock = new RealClock();

/** Implements {@link Clock.sleep} on top of {@link Clock.setTimer}. */
export function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Sleeps on `clock`; false (instead of a rejection) when `signal` aborts first. */
export async function sleepUnlessAborted(
  clock: Clock,
  ms: number,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await clock.sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}
