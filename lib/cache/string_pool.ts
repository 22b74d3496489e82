/**
 * Sharing of repeated strings between cached objects. `JSON.parse` makes a
 * new copy of every string value longer than a few characters, so 10,000
 * cached objects hold 10,000 copies of their namespace, of an owner's
 * `apiVersion`, of a condition's "1/1 replicas ready". A pool hands out one
 * instance per distinct value.
 *
 * @module
 */

/** Default number of distinct values a pool keeps. */
export const DEFAULT_POOL_SIZE = 4096;

/**
 * A bounded pool of strings, filled first come, first served: the values
 * that repeat across thousands of objects come with the first objects, and
 * values that never repeat (names, uids) stop being added once it is full.
 * Costs a Map lookup per call.
 */
export class StringPool {
  readonly #values = new Map<string, string>();
  readonly #max: number;

  constructor(max = DEFAULT_POOL_SIZE) {
    this.#max = max;
  }

  /** The pooled instance of `value` (`value` itself when new and the pool is full). */
  intern<S extends string | undefined>(value: S): S {
    if (value === undefined) return value;
    const pooled = this.#values.get(value);
    if (pooled !== undefined) return pooled as S;
    if (this.#values.size < this.#max) this.#values.set(value, value);
    return value;
  }

  /** A copy of `record` with pooled values (keys are already shared by V8). */
  internValues(record: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(record)) out[key] = this.intern(value);
    return out;
  }

  get size(): number {
    return this.#values.size;
  }
}
