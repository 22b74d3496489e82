/**
 * The in-memory object store behind an informer (the model of client-go's
 * `cache.Indexer` / `threadSafeMap`): objects by `namespace/name` key, plus
 * secondary indexes kept up to date on every write, so reads never touch the
 * API server.
 *
 * Objects handed out are the stored ones, shared by every reader: callers must
 * not mutate them (copy first). Pass `freeze: true` (tests, development) to
 * make accidental mutation throw.
 *
 * @module
 */
import type { KubeObject } from "../kube/types.ts";
import { fieldValues, type Indexer, labelIndexName, NAMESPACE_INDEX } from "./indexers.ts";

/** What {@link StoreReader.list} selects; all given criteria must match (AND). */
export interface StoreQuery {
  /** Only objects in this namespace; absent or `""` for all namespaces. */
  readonly namespace?: string;
  /** Dot path → value, e.g. `{ "spec.environment": "production" }` (see {@link fieldValues}). */
  readonly fields?: Readonly<Record<string, string>>;
  /** Label key → value (equality). */
  readonly labels?: Readonly<Record<string, string>>;
  /** A registered index and the value to look up. */
  readonly index?: { readonly name: string; readonly value: string };
}

/** The difference a {@link Store.replace} made, in terms of what handlers should hear. */
export interface StoreDiff<T> {
  readonly added: readonly T[];
  readonly updated: ReadonlyArray<{ readonly old: T; readonly new: T }>;
  readonly deleted: readonly T[];
}

/** The read side of a store: what controllers get. Results are fresh arrays in no particular order. */
export interface StoreReader<T> {
  /** The object stored under `key` (`namespace/name`, or `name` when cluster-scoped). */
  get(key: string): T | undefined;
  /** Objects matching every criterion of `query` (all objects without one). */
  list(query?: StoreQuery): T[];
  /** Objects filed under `value` in the index `name`. @throws {RangeError} for an unknown index */
  byIndex(name: string, value: string): T[];
  /** All keys. */
  keys(): string[];
  /** Number of objects. */
  readonly size: number;
  /** The resourceVersion the content reflects (last list, event or bookmark); "" before any. */
  readonly resourceVersion: string;
}

/** A store that a reflector can write to. */
export interface Store<T> extends StoreReader<T> {
  /** Inserts or replaces the object under its key; returns the previous one. */
  upsert(obj: T): T | undefined;
  /** Removes the object with the key of `obj`; returns the removed one. */
  delete(obj: T): T | undefined;
  /**
   * Makes the content exactly `objects` (after a list) and returns the diff.
   * An object whose resourceVersion equals the stored one counts as unchanged
   * and the stored copy is kept.
   */
  replace(objects: readonly T[], resourceVersion: string): StoreDiff<T>;
  /** Records the resourceVersion the content reflects (after an event or bookmark). */
  setResourceVersion(resourceVersion: string): void;
}

/** Options of {@link IndexedStore}. */
export interface IndexedStoreOptions<T> {
  /** Index name → indexer; see `indexers.ts` for the names queries use. */
  readonly indexers?: Readonly<Record<string, Indexer<T>>>;
  /** Deep-freeze stored objects so mutation throws (costly; for tests and development). */
  readonly freeze?: boolean;
}

/**
 * The key of an object: `namespace/name`, or `name` for cluster-scoped objects.
 * @throws {RangeError} when the object has no name
 */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new RangeError("Object has no metadata.name");
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * Splits a key made by {@link objectKey}; `namespace` is absent for cluster-scoped keys.
 * @throws {RangeError} for an empty key or one with more than one "/"
 */
export function splitKey(key: string): { namespace?: string; name: string } {
  const parts = key.split("/");
  if (parts.length === 1 && parts[0] !== "") return { name: parts[0] };
  if (parts.length === 2 && parts[0] !== "" && parts[1] !== "") {
    return { namespace: parts[0], name: parts[1] };
  }
  throw new RangeError(`Key must be "namespace/name" or "name", got "${key}"`);
}

/** A {@link Store} backed by a `Map`, with indexes updated on every write. Not for concurrent writers. */
export class IndexedStore<T extends KubeObject> implements Store<T> {
  readonly #items = new Map<string, T>();
  readonly #indexers: ReadonlyMap<string, Indexer<T>>;
  /**
   * index name → index value → keys. A value with one key holds the key
   * itself: most owner uids index one object per cache, and a Set per value
   * would cost ~160 bytes each at 10,000 Databases.
   */
  readonly #indexes = new Map<string, Map<string, string | Set<string>>>();
  readonly #freeze: boolean;
  #resourceVersion = "";

  /** @throws {RangeError} for an empty index name */
  constructor(options: IndexedStoreOptions<T> = {}) {
    this.#indexers = new Map(Object.entries(options.indexers ?? {}));
    for (const name of this.#indexers.keys()) {
      if (name === "") throw new RangeError("Index name must not be empty");
      this.#indexes.set(name, new Map());
    }
    this.#freeze = options.freeze ?? false;
  }

  get size(): number {
    return this.#items.size;
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  byIndex(name: string, value: string): T[] {
    return this.#collect(this.#indexKeys(name, value));
  }

  list(query: StoreQuery = {}): T[] {
    // Plan: look up every criterion that has an index, start from the smallest
    // key set, then check the rest per candidate (index membership is O(1)).
    const indexed: ReadonlySet<string>[] = [];
    const checks: ((key: string, obj: T) => boolean)[] = [];
    const use = (name: string, value: string, fallback: (obj: T) => boolean) => {
      if (this.#indexes.has(name)) indexed.push(this.#indexKeys(name, value));
      else checks.push((_key, obj) => fallback(obj));
    };
    if (query.index) {
      indexed.push(this.#indexKeys(query.index.name, query.index.value));
    }
    const namespace = query.namespace;
    if (namespace) use(NAMESPACE_INDEX, namespace, (o) => o.metadata?.namespace === namespace);
    for (const [path, value] of Object.entries(query.fields ?? {})) {
      use(path, value, (o) => fieldValues(o, path).includes(value));
    }
    for (const [label, value] of Object.entries(query.labels ?? {})) {
      use(labelIndexName(label), value, (o) => o.metadata?.labels?.[label] === value);
    }
    indexed.sort((a, b) => a.size - b.size);
    const [smallest, ...others] = indexed;
    for (const set of others) checks.push((key) => set.has(key));
    const out: T[] = [];
    const consider = (key: string, obj: T) => {
      if (checks.every((check) => check(key, obj))) out.push(obj);
    };
    if (smallest) {
      for (const key of smallest) {
        const obj = this.#items.get(key);
        if (obj) consider(key, obj);
      }
    } else {
      for (const [key, obj] of this.#items) consider(key, obj);
    }
    return out;
  }

  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.#items.get(key);
    if (this.#freeze) deepFreeze(obj);
    this.#items.set(key, obj);
    this.#reindex(key, old, obj);
    return old;
  }

  delete(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#items.delete(key);
    this.#reindex(key, old, undefined);
    return old;
  }

  replace(objects: readonly T[], resourceVersion: string): StoreDiff<T> {
    const added: T[] = [];
    const updated: { old: T; new: T }[] = [];
    const seen = new Set<string>();
    for (const obj of objects) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.#items.get(key);
      if (old === undefined) {
        this.upsert(obj);
        added.push(obj);
      } else if (old !== obj && !sameVersion(old, obj)) {
        this.upsert(obj);
        updated.push({ old, new: obj });
      }
    }
    const deleted: T[] = [];
    for (const [key, old] of this.#items) {
      if (seen.has(key)) continue;
      this.#items.delete(key);
      this.#reindex(key, old, undefined);
      deleted.push(old);
    }
    this.#resourceVersion = resourceVersion;
    return { added, updated, deleted };
  }

  setResourceVersion(resourceVersion: string): void {
    this.#resourceVersion = resourceVersion;
  }

  #indexKeys(name: string, value: string): ReadonlySet<string> {
    const index = this.#indexes.get(name);
    if (!index) throw new RangeError(`Index "${name}" does not exist`);
    const keys = index.get(value);
    return typeof keys === "string" ? new Set([keys]) : keys ?? EMPTY;
  }

  #collect(keys: Iterable<string>): T[] {
    const out: T[] = [];
    for (const key of keys) {
      const obj = this.#items.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  #reindex(key: string, old: T | undefined, next: T | undefined): void {
    for (const [name, indexer] of this.#indexers) {
      const index = this.#indexes.get(name);
      if (!index) continue;
      const before = old ? indexer(old) : [];
      const after = next ? indexer(next) : [];
      if (before.length === after.length && before.every((v, i) => v === after[i])) continue;
      for (const value of before) {
        const keys = index.get(value);
        if (keys === key) index.delete(value);
        else if (typeof keys === "object") {
          keys.delete(key);
          if (keys.size === 1) index.set(value, keys.values().next().value as string);
        }
      }
      for (const value of after) {
        const keys = index.get(value);
        if (keys === undefined) index.set(value, key);
        else if (typeof keys === "string") {
          if (keys !== key) index.set(value, new Set([keys, key]));
        } else keys.add(key);
      }
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set<string>();

/** Same resourceVersion (both present): the API server guarantees the same content. */
function sameVersion(a: KubeObject, b: KubeObject): boolean {
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv !== "" && rv === b.metadata?.resourceVersion;
}

function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
