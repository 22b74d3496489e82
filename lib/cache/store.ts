/**
 * The in-memory object store behind an informer (the model of client-go's
 * `cache.Indexer` / `threadSafeMap`): objects by `namespace/name` key, plus
 * secondary indexes kept up to date on every write, so reads never touch the
 * API server.
 *
 * An index is built the first time it is queried and kept up to date on every
 * write from then on: an index nobody asks for costs no memory (at 10,000
 * objects an index is a Map or Set of 10,000 entries, some 300–450 KB).
 *
 * Objects handed out are the stored ones, shared by every reader: callers must
 * not mutate them (copy first). Pass `freeze: true` (tests, development) to
 * make accidental mutation throw.
 *
 * @module
 */
import type { KubeObject } from "../kube/types.ts";
import { fieldValues, type Indexer, labelIndexName, NAMESPACE_INDEX } from "./indexers.ts";
import { namespaceOf, ObjectMap } from "./object_map.ts";

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
  const name = nameOf(obj);
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** @throws {RangeError} when the object has no name */
function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new RangeError("Object has no metadata.name");
  return name;
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

/**
 * A {@link Store} backed by maps, with indexes built on first query and
 * updated on every write after. Not for concurrent writers.
 */
export class IndexedStore<T extends KubeObject> implements Store<T> {
  readonly #items = new ObjectMap<T>();
  readonly #indexers: ReadonlyMap<string, Indexer<T>>;
  /** The indexes built so far (queried at least once), by name. */
  readonly #indexes = new Map<string, Index<T>>();
  readonly #freeze: boolean;
  #resourceVersion = "";

  /** @throws {RangeError} for an empty index name */
  constructor(options: IndexedStoreOptions<T> = {}) {
    this.#indexers = new Map(Object.entries(options.indexers ?? {}));
    if (this.#indexers.has("")) throw new RangeError("Index name must not be empty");
    this.#freeze = options.freeze ?? false;
  }

  get size(): number {
    return this.#items.size;
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  get(key: string): T | undefined {
    const slash = key.indexOf("/");
    return slash < 0
      ? this.#items.get("", key)
      : this.#items.get(key.slice(0, slash), key.slice(slash + 1));
  }

  keys(): string[] {
    return Array.from(this.#items.values(), objectKey);
  }

  byIndex(name: string, value: string): T[] {
    return [...this.#indexed(name, value)];
  }

  list(query: StoreQuery = {}): T[] {
    // Plan: look up every criterion that has an index, start from the smallest
    // set, then check the rest per candidate (index membership is O(1)).
    const indexed: ReadonlySet<T>[] = [];
    const checks: ((obj: T) => boolean)[] = [];
    const use = (name: string, value: string, fallback: (obj: T) => boolean) => {
      if (this.#indexers.has(name)) indexed.push(this.#indexed(name, value));
      else checks.push(fallback);
    };
    if (query.index) {
      indexed.push(this.#indexed(query.index.name, query.index.value));
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
    for (const set of others) checks.push((obj) => set.has(obj));
    const out: T[] = [];
    for (const obj of smallest ?? this.#items.values()) {
      if (checks.every((check) => check(obj))) out.push(obj);
    }
    return out;
  }

  upsert(obj: T): T | undefined {
    nameOf(obj); // An object without a name is refused before anything changes.
    if (this.#freeze) deepFreeze(obj);
    const old = this.#items.set(obj);
    this.#reindex(old, obj);
    return old;
  }

  delete(obj: T): T | undefined {
    const old = this.#items.delete(namespaceOf(obj), nameOf(obj));
    if (old !== undefined) this.#reindex(old, undefined);
    return old;
  }

  replace(objects: readonly T[], resourceVersion: string): StoreDiff<T> {
    const added: T[] = [];
    const updated: { old: T; new: T }[] = [];
    // The objects stored once the list is in; the others were deleted.
    const listed = new Set<T>();
    for (const obj of objects) {
      const old = this.#items.get(namespaceOf(obj), nameOf(obj));
      if (old === undefined) {
        this.upsert(obj);
        added.push(obj);
      } else if (old !== obj && !sameVersion(old, obj)) {
        this.upsert(obj);
        updated.push({ old, new: obj });
      } else {
        listed.add(old);
        continue;
      }
      listed.add(obj);
    }
    const deleted = [...this.#items.values()].filter((obj) => !listed.has(obj));
    for (const old of deleted) this.delete(old);
    this.#resourceVersion = resourceVersion;
    return { added, updated, deleted };
  }

  setResourceVersion(resourceVersion: string): void {
    this.#resourceVersion = resourceVersion;
  }

  /** The objects filed under `value` in the index `name`. */
  #indexed(name: string, value: string): ReadonlySet<T> {
    const entry = this.#index(name).get(value);
    return entry instanceof Set ? entry : entry === undefined ? EMPTY : new Set([entry]);
  }

  /** The index `name`, built from the current content on first use. */
  #index(name: string): Index<T> {
    let index = this.#indexes.get(name);
    if (index) return index;
    const indexer = this.#indexers.get(name);
    if (!indexer) throw new RangeError(`Index "${name}" does not exist`);
    index = new Map();
    for (const obj of this.#items.values()) {
      for (const value of indexer(obj)) fileUnder(index, value, obj);
    }
    this.#indexes.set(name, index);
    return index;
  }

  #reindex(old: T | undefined, next: T | undefined): void {
    for (const [name, index] of this.#indexes) {
      const indexer = this.#indexers.get(name)!;
      if (old) { for (const value of indexer(old)) unfile(index, value, old); }
      if (next) { for (const value of indexer(next)) fileUnder(index, value, next); }
    }
  }
}

/**
 * Index value → objects. A value with one object holds the object itself: most
 * owner uids index one object per cache, and a Set per value would cost ~160
 * bytes each at 10,000 Databases.
 */
type Index<T> = Map<string, T | Set<T>>;

function fileUnder<T>(index: Index<T>, value: string, obj: T): void {
  const entry = index.get(value);
  if (entry === undefined) index.set(value, obj);
  else if (entry instanceof Set) entry.add(obj);
  else if (entry !== obj) index.set(value, new Set([entry, obj]));
}

function unfile<T>(index: Index<T>, value: string, obj: T): void {
  const entry = index.get(value);
  if (entry === obj) index.delete(value);
  else if (entry instanceof Set) {
    entry.delete(obj);
    if (entry.size === 1) index.set(value, entry.values().next().value as T);
  }
}

const EMPTY: ReadonlySet<never> = new Set<never>();

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
