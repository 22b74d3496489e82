/**
 * A bounded-concurrency loop over a list of items.
 *
 * @module
 */

/**
 * Runs `task` for every item with at most `concurrency` in flight, starting
 * them in order. Stops starting new ones once `signal` aborts or a task
 * rejects; resolves when the started ones have settled, rejecting with the
 * first error (or the signal's reason).
 * @throws {RangeError} when `concurrency` is not a positive integer
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`Concurrency must be a positive integer, got ${concurrency}`);
  }
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure && !signal?.aborted) {
      const index = next++;
      try {
        await task(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure) throw failure.error;
  signal?.throwIfAborted();
}
