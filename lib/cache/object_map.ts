/**
 * Objects by namespace and name, for {@link IndexedStore}: a map keyed by
 * `"namespace/name"` strings holds one more string per object (~50 bytes, 2.5
 * MB at 50,000 cached objects). This one is keyed by the objects' own name
 * strings: a name found in one namespace maps to its object, a name found in
 * several maps to a `namespace → object` map.
 *
 * @module
 */
import type { KubeObject } from "../kube/types.ts";

/** An entry: the one object with its name, or the objects with that name by namespace. */
type Entry<T> = T | Map<string, T>;

/**
 * A map of objects by namespace (`""` for cluster-scoped ones) and name.
 * Objects must have a name; the caller checks.
 */
export class ObjectMap<T extends KubeObject> {
  readonly #byName = new Map<string, Entry<T>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(namespace: string, name: string): T | undefined {
    const entry = this.#byName.get(name);
    if (entry instanceof Map) return entry.get(namespace);
    return entry !== undefined && namespaceOf(entry) === namespace ? entry : undefined;
  }

  /** Stores `obj` under its namespace and name; returns the object it replaced. */
  set(obj: T): T | undefined {
    const name = obj.metadata!.name!;
    const namespace = namespaceOf(obj);
    const entry = this.#byName.get(name);
    if (entry instanceof Map) {
      const old = entry.get(namespace);
      entry.set(namespace, obj);
      if (old === undefined) this.#size++;
      return old;
    }
    if (entry === undefined || namespaceOf(entry) === namespace) {
      // Deleted first so that the key is the new object's name string: a map
      // keeps the key it was first given, which would keep the old one alive.
      this.#byName.delete(name);
      this.#byName.set(name, obj);
      if (entry === undefined) this.#size++;
      return entry;
    }
    this.#byName.set(name, new Map([[namespaceOf(entry), entry], [namespace, obj]]));
    this.#size++;
    return undefined;
  }

  /** Removes the object with this namespace and name; returns it. */
  delete(namespace: string, name: string): T | undefined {
    const entry = this.#byName.get(name);
    if (entry instanceof Map) {
      const old = entry.get(namespace);
      if (old === undefined) return undefined;
      entry.delete(namespace);
      this.#size--;
      if (entry.size === 1) this.#byName.set(name, entry.values().next().value as T);
      return old;
    }
    if (entry === undefined || namespaceOf(entry) !== namespace) return undefined;
    this.#byName.delete(name);
    this.#size--;
    return entry;
  }

  /** Every object, in no particular order. */
  *values(): IterableIterator<T> {
    for (const entry of this.#byName.values()) {
      if (entry instanceof Map) yield* entry.values();
      else yield entry;
    }
  }
}

/** An object's namespace; `""` when it is cluster-scoped. */
export function namespaceOf(obj: KubeObject): string {
  return obj.metadata?.namespace ?? "";
}
