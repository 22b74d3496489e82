/**
 * Sharing of equal parts between cached objects, without keeping them alive.
 *
 * The four children of a Database each carry a copy of the same owner
 * reference (an object, an array, the owner's name and uid) and the same
 * labels: at 10,000 Databases, 30,000 redundant copies, ~9 MB of heap. A
 * {@link WeakInterner} hands out one instance per key while some cached
 * object still holds it; once none does, the garbage collector takes it and
 * its entry goes too. Unlike {@link StringPool}, it needs no bound: it never
 * holds more than the caches hold.
 *
 * @module
 */

/** Shares values by key, holding them weakly (see the module documentation). */
export class WeakInterner<V extends object> {
  readonly #entries = new Map<string, WeakRef<V>>();
  readonly #registry = new FinalizationRegistry<string>((key) => {
    // The entry may hold a newer value by now; only a dead one goes.
    if (this.#entries.get(key)?.deref() === undefined) this.#entries.delete(key);
  });

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
      this.#registry.register(value, key);
    }
    return value;
  }

  /** Number of keys, live or not yet collected. */
  get size(): number {
    return this.#entries.size;
  }
}
