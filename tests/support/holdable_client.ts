/**
 * A {@link KubeClient} wrapper whose watches a test can deafen and then break,
 * to give a reflector a real gap in what it has seen (e.g. across an etcd
 * compaction) without stopping the API server.
 *
 * @module
 */
import { TransportError } from "../../lib/kube/errors.ts";
import type { Resource } from "../../lib/kube/resource.ts";
import type {
  ApplyOptions,
  DeleteOptions,
  KubeClient,
  KubeObject,
  ListOptions,
  ListPage,
  PatchOptions,
  RequestOptions,
  WatchEvent,
  WatchOptions,
} from "../../lib/kube/types.ts";

const BREAK = Symbol("break");

/**
 * Delegates every call to `inner`. After {@link hold}, events of open and new
 * watches are read from the server but dropped (counted in {@link dropped});
 * {@link release} stops dropping and makes every watch open at that moment
 * fail with a `TransportError`, as a broken connection would.
 */
export class HoldableClient implements KubeClient {
  readonly #inner: KubeClient;
  #held = false;
  #dropped = 0;
  #break = Promise.withResolvers<typeof BREAK>();

  constructor(inner: KubeClient) {
    this.#inner = inner;
  }

  /** Events other than bookmarks dropped since the last {@link hold}. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Starts dropping watch events. */
  hold(): void {
    this.#held = true;
    this.#dropped = 0;
  }

  /** Stops dropping and breaks the watches that are open now. */
  release(): void {
    this.#held = false;
    this.#break.resolve(BREAK);
    this.#break = Promise.withResolvers();
  }

  async *watch<T extends KubeObject>(
    resource: Resource,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const local = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal;
    const inner = this.#inner.watch<T>(resource, { ...options, signal })[Symbol.asyncIterator]();
    const broken = this.#break.promise;
    try {
      for (;;) {
        const next = inner.next();
        const result = await Promise.race([next, broken]);
        if (result === BREAK) {
          // The aborted inner watch ends quietly; its pending read must not reject unseen.
          next.catch(() => {});
          throw new TransportError(`watch ${resource.plural}`, new Error("Broken by the test"));
        }
        if (result.done) return;
        if (this.#held) {
          if (result.value.type !== "BOOKMARK") this.#dropped++;
          continue;
        }
        yield result.value;
      }
    } finally {
      local.abort();
      await inner.return?.(undefined);
    }
  }

  list<T extends KubeObject>(resource: Resource, options?: ListOptions): Promise<ListPage<T>> {
    return this.#inner.list(resource, options);
  }

  get<T extends KubeObject>(
    resource: Resource,
    name: string,
    options?: RequestOptions,
  ): Promise<T> {
    return this.#inner.get(resource, name, options);
  }

  create<T extends KubeObject>(
    resource: Resource,
    object: T,
    options?: RequestOptions,
  ): Promise<T> {
    return this.#inner.create(resource, object, options);
  }

  update<T extends KubeObject>(
    resource: Resource,
    object: T,
    options?: RequestOptions,
  ): Promise<T> {
    return this.#inner.update(resource, object, options);
  }

  apply<T extends KubeObject>(resource: Resource, object: T, options: ApplyOptions): Promise<T> {
    return this.#inner.apply(resource, object, options);
  }

  patch<T extends KubeObject>(
    resource: Resource,
    name: string,
    patch: unknown,
    options: PatchOptions,
  ): Promise<T> {
    return this.#inner.patch(resource, name, patch, options);
  }

  delete(resource: Resource, name: string, options?: DeleteOptions): Promise<void> {
    return this.#inner.delete(resource, name, options);
  }
}
