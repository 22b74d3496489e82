/**
 * One cache over several namespaces: an {@link Informer} per namespace (each
 * lists and watches only its namespace, so pgop needs no cluster-wide read
 * permission), presented as one store and one stream of changes.
 *
 * @module
 */
import type { KubeObject } from "../kube/types.ts";
import type { Informer } from "./informer.ts";
import type { EventHandler } from "./reflector_options.ts";
import type { StoreQuery, StoreReader } from "./store.ts";

/** What the controller and the manager use of an informer. */
export type InformerLike<T extends KubeObject> = Pick<
  Informer<T>,
  "resource" | "store" | "hasSynced" | "addHandler" | "run" | "waitForSync"
>;

/** The union of per-namespace stores; a key is routed by its namespace. */
class UnionStore<T extends KubeObject> implements StoreReader<T> {
  readonly #byNamespace: ReadonlyMap<string, StoreReader<T>>;

  constructor(byNamespace: ReadonlyMap<string, StoreReader<T>>) {
    this.#byNamespace = byNamespace;
  }

  get(key: string): T | undefined {
    const slash = key.indexOf("/");
    return slash < 0 ? undefined : this.#byNamespace.get(key.slice(0, slash))?.get(key);
  }

  list(query: StoreQuery = {}): T[] {
    if (query.namespace) return this.#byNamespace.get(query.namespace)?.list(query) ?? [];
    return [...this.#byNamespace.values()].flatMap((s) => s.list(query));
  }

  byIndex(name: string, value: string): T[] {
    return [...this.#byNamespace.values()].flatMap((s) => s.byIndex(name, value));
  }

  keys(): string[] {
    return [...this.#byNamespace.values()].flatMap((s) => s.keys());
  }

  get size(): number {
    let n = 0;
    for (const s of this.#byNamespace.values()) n += s.size;
    return n;
  }

  /** Each namespace has its own; a union has none. */
  get resourceVersion(): string {
    return "";
  }
}

/** Several per-namespace informers of one resource, as one. */
export class MultiNamespaceInformer<T extends KubeObject> implements InformerLike<T> {
  readonly resource: string;
  readonly store: StoreReader<T>;
  readonly #informers: readonly Informer<T>[];

  /** @param informers one per namespace, keyed by namespace; does no I/O */
  constructor(informers: ReadonlyMap<string, Informer<T>>) {
    if (informers.size === 0) throw new RangeError("At least one namespace is needed");
    this.#informers = [...informers.values()];
    this.resource = this.#informers[0].resource;
    this.store = new UnionStore(new Map([...informers].map(([ns, inf]) => [ns, inf.store])));
  }

  get hasSynced(): boolean {
    return this.#informers.every((i) => i.hasSynced);
  }

  addHandler(handler: EventHandler<T>): () => void {
    const removers = this.#informers.map((i) => i.addHandler(handler));
    return () => removers.forEach((remove) => remove());
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.run(signal)));
  }

  async waitForSync(signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.waitForSync(signal, timeoutMs)));
  }
}
