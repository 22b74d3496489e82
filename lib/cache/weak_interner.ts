/**
 * Sharing of equal parts between cached objects, without keeping them alive.
 *
 * The four children of a Database each carry a copy of the same owner
 * reference (an object, an array, the owner's name and uid) and the same
 * labels: at 10,000 Databases, 30,000 redundant copies, ~9 MB of heap. A
 * {@link WeakInterner} hands out one instance per key while some cached
 * object still holds it; once none does, the garbage collector takes it, and
 * its key goes at the next sweep. Unlike {@link StringPool}, it needs no bound:
 * it holds no more than the caches hold, plus keys not yet swept.
 *
 * Dead keys are swept whenever the number of keys has doubled since the last
 * sweep, not through a `FinalizationRegistry`: a registration costs 72 bytes
 * per value (a `WeakCell`), 1.6 MB at 10,000 Databases.
 *
 * @module
 */

/** Shares values by key, holding them weakly (see the module documentation). */
export class WeakInterner<V extends object> {
  readonly #entries = new Map<string, WeakRef<V>>();
  /** The number of keys at which the next sweep runs. */
  #sweepAt = MIN_SWEEP_AT;

  /**
   * The value shared under `key` if one is alive and `same(shared)` says it
   * equals the caller's; otherwise `make()`, which becomes the shared value
   * under `key` unless a live, different one holds it.
   */
  share(key: string, same: (shared: V) => boolean, make: () => V): V {
    const shared = this.#entries.get(key)?.deref();
    if (shared !== undefined && same(shared)) return shared;
    const value = make();
    if (shared === undefined) {
      this.#entries.set(key, new WeakRef(value));
      if (this.#entries.size >= this.#sweepAt) this.sweep();
    }
    return value;
  }

  /**
   * Drops the keys whose values the garbage collector took. {@link share}
   * calls it as keys grow: the cost of a sweep is spread over as many calls.
   */
  sweep(): void {
    for (const [key, ref] of this.#entries) {
      if (ref.deref() === undefined) this.#entries.delete(key);
    }
    this.#sweepAt = Math.max(MIN_SWEEP_AT, 2 * this.#entries.size);
  }

  /** Number of keys, live or not yet swept. */
  get size(): number {
    return this.#entries.size;
  }
}

const MIN_SWEEP_AT = 1024;
