/**
 * Read-your-writes over a watch cache (the idea of client-go's
 * `MutationCache`). After pgop creates or updates an object, its informer
 * delivers the change a moment later; a reconcile that runs in between would
 * see the old state and write again. A mutation cache remembers the objects
 * pgop wrote and serves them until the informer reports the key again.
 *
 * @module
 */
import { type Clock, realClock } from "../clock.ts";
import type { KubeObject } from "../kube/types.ts";
import type { InformerLike } from "./multi_namespace_informer.ts";
import type { EventHandler } from "./reflector_options.ts";
import { objectKey, type StoreReader } from "./store.ts";
import type { Transform } from "./transform.ts";

/** How long a written object is served at most, in case its event never comes (it was deleted meanwhile). */
export const DEFAULT_MUTATION_TTL_MS = 30_000;

interface Written<T> {
  readonly obj: T;
  /** The resourceVersion the cache held when we wrote ("" when absent). */
  readonly baseVersion: string;
  readonly at: number;
}

/** A store reader that prefers pgop's own recent writes over a cache that has not caught up. */
export class MutationCache<T extends KubeObject> {
  readonly #store: StoreReader<T>;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #written = new Map<string, Written<T>>();
  readonly #transform: Transform<T>;

  /**
   * Does no I/O; call {@link handler}'s result with the informer's `addHandler`.
   * `transform` should be the informer's, so that written objects look like cached ones.
   */
  constructor(
    store: StoreReader<T>,
    options: { clock?: Clock; ttlMs?: number; transform?: Transform<T> } = {},
  ) {
    this.#store = store;
    this.#clock = options.clock ?? realClock;
    this.#ttlMs = options.ttlMs ?? DEFAULT_MUTATION_TTL_MS;
    this.#transform = options.transform ?? ((obj) => obj);
  }

  /**
   * Handlers that forget a written object once the informer reports any newer
   * state of its key (an event carrying the version we wrote over is older).
   */
  handler(): EventHandler<T> {
    const seen = (obj: T) => {
      const key = objectKey(obj);
      const entry = this.#written.get(key);
      if (entry && obj.metadata?.resourceVersion !== entry.baseVersion) this.#written.delete(key);
    };
    return {
      onAdd: seen,
      onUpdate: (_old, obj) => seen(obj),
      onDelete: (obj) => void this.#written.delete(objectKey(obj)),
    };
  }

  /** The freshest known state of `key`: pgop's own write while the cache lags, else the cache's. */
  get(key: string): T | undefined {
    const entry = this.#written.get(key);
    if (entry) {
      if (this.#clock.now() - entry.at < this.#ttlMs) return entry.obj;
      this.#written.delete(key);
    }
    return this.#store.get(key);
  }

  /** Records that pgop wrote `obj` (the API server's answer) over `before` (what it read, if anything). */
  mutated(obj: T, before: T | undefined): void {
    const key = objectKey(obj);
    this.#written.set(key, {
      obj: this.#transform(obj),
      baseVersion: before?.metadata?.resourceVersion ?? "",
      at: this.#clock.now(),
    });
  }

  /**
   * A mutation cache over `informer`, told of its changes; `transform` should
   * be the informer's, so that written objects look like cached ones.
   */
  static over<T extends KubeObject>(
    informer: Pick<InformerLike<T>, "store" | "addHandler">,
    transform?: Transform<T>,
  ): MutationCache<T> {
    const cache = new MutationCache(informer.store, { transform });
    informer.addHandler(cache.handler());
    return cache;
  }

  /** Written objects still remembered. */
  get size(): number {
    return this.#written.size;
  }
}
