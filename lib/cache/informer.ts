/**
 * The informer (the model of client-go's `SharedIndexInformer`): one
 * {@link IndexedStore} kept in sync by one {@link Reflector}, with changes fanned
 * out to any number of handlers. Controllers read the store and react to the
 * handlers; nothing else talks to the API server for this resource.
 *
 * @module
 */
import { type Clock, realClock } from "../clock.ts";
import { type Resource, resourceLabel } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import type { Indexer } from "./indexers.ts";
import { Reflector } from "./reflector.ts";
import { type EventHandler, type ReflectorOptions } from "./reflector_options.ts";
import { IndexedStore, type StoreReader } from "./store.ts";

/** Default of {@link Informer.waitForSync}: two minutes, enough for a large first list. */
export const DEFAULT_SYNC_TIMEOUT_MS = 120_000;

/** The cache of a resource did not finish its first list in time. */
export class CacheSyncTimeoutError extends Error {
  override readonly name = "CacheSyncTimeoutError";
  /** The resource label, e.g. "databases.database.example.com". */
  readonly resource: string;
  readonly timeoutMs: number;

  constructor(resource: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(`Timed out after ${timeoutMs} ms waiting for the "${resource}" cache to sync`, options);
    this.resource = resource;
    this.timeoutMs = timeoutMs;
  }
}

/** Options of {@link Informer}: the reflector's knobs plus the store's indexes. */
export interface InformerOptions<T extends KubeObject>
  extends Omit<ReflectorOptions<T>, "handler"> {
  /** Index name → indexer, see `indexers.ts`. */
  readonly indexers?: Readonly<Record<string, Indexer<T>>>;
  /** Deep-freeze stored objects (tests, development). */
  readonly freeze?: boolean;
}

/** A watch cache of one resource with handler fan-out. */
export class Informer<T extends KubeObject> {
  /** The resource label used in errors and logs. */
  readonly resource: string;
  readonly #store: IndexedStore<T>;
  readonly #reflector: Reflector<T>;
  readonly #handlers = new Set<EventHandler<T>>();
  readonly #clock: Clock;

  /** Does no I/O. @throws {RangeError} for invalid reflector options */
  constructor(client: KubeClient, resource: Resource, options: InformerOptions<T> = {}) {
    this.resource = resourceLabel(resource);
    this.#clock = options.clock ?? realClock;
    this.#store = new IndexedStore<T>({ indexers: options.indexers, freeze: options.freeze });
    this.#reflector = new Reflector(client, resource, this.#store, {
      ...options,
      handler: {
        onAdd: (obj) => this.#fanOut((h) => h.onAdd?.(obj)),
        onUpdate: (oldObj, newObj) => this.#fanOut((h) => h.onUpdate?.(oldObj, newObj)),
        onDelete: (obj) => this.#fanOut((h) => h.onDelete?.(obj)),
      },
    });
  }

  /** The cached objects; read-only, shared: do not mutate what it returns. */
  get store(): StoreReader<T> {
    return this.#store;
  }

  /** True once the first full list is in the store. */
  get hasSynced(): boolean {
    return this.#reflector.hasSynced;
  }

  /** The resourceVersion of the last list, event or bookmark applied. */
  get lastSyncResourceVersion(): string {
    return this.#reflector.lastSyncResourceVersion;
  }

  /**
   * Adds a handler; returns a function that removes it. A handler added after
   * objects are cached first gets `onAdd` for each of them, synchronously
   * (client-go does the same), so it never misses the initial state.
   * Handlers run one after another; one that throws does not stop the others
   * (the error is reported through the reflector's `onError` hook and log).
   */
  addHandler(handler: EventHandler<T>): () => void {
    this.#handlers.add(handler);
    if (handler.onAdd) {
      for (const obj of this.#store.list()) handler.onAdd(obj);
    }
    return () => void this.#handlers.delete(handler);
  }

  /** Lists and watches until `signal` aborts. @throws {Error} when already running */
  run(signal: AbortSignal): Promise<void> {
    return this.#reflector.run(signal);
  }

  /**
   * Resolves once the cache has synced.
   * @throws {CacheSyncTimeoutError} when `timeoutMs` passes first
   * @throws the signal's reason when `signal` aborts first
   */
  waitForSync(signal?: AbortSignal, timeoutMs = DEFAULT_SYNC_TIMEOUT_MS): Promise<void> {
    if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0, got ${timeoutMs}`);
    if (this.hasSynced) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void) => {
        timer.cancel();
        signal?.removeEventListener("abort", onAbort);
        settle();
      };
      const onAbort = () => finish(() => reject(signal?.reason));
      const timer = this.#clock.setTimer(
        () => finish(() => reject(new CacheSyncTimeoutError(this.resource, timeoutMs))),
        timeoutMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#reflector.synced.then(() => finish(resolve));
    });
  }

  #fanOut(call: (handler: EventHandler<T>) => void): void {
    const errors: unknown[] = [];
    for (const handler of this.#handlers) {
      try {
        call(handler);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, `${errors.length} event handlers threw`);
    }
  }
}
