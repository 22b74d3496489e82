/**
 * The client a leader writes with: every write first asks a fence (the
 * elector's `LeaderElector.holdsLease()`) whether this process may still
 * write, so that a process that lost the Lease — or cannot know that it still
 * holds it, after a pause — sends nothing. Reads and watches pass through.
 *
 * @module
 */
import type { Resource } from "../kube/resource.ts";
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
} from "../kube/types.ts";
import { LeadershipLostError } from "./elector_options.ts";

/**
 * A {@link KubeClient} whose writes (create, update, apply, patch, delete)
 * reject with {@link LeadershipLostError}, without sending anything, whenever
 * `fence()` returns false at the moment of the call. The fence is asked
 * synchronously right before each request is handed to the inner client.
 */
export class FencedClient implements KubeClient {
  readonly #client: KubeClient;
  readonly #fence: () => boolean;

  /** Does no I/O. `fence` must not block (e.g. `() => elector.holdsLease()`). */
  constructor(client: KubeClient, fence: () => boolean) {
    this.#client = client;
    this.#fence = fence;
  }

  list<T extends KubeObject>(resource: Resource, options?: ListOptions): Promise<ListPage<T>> {
    return this.#client.list<T>(resource, options);
  }

  watch<T extends KubeObject>(
    resource: Resource,
    options?: WatchOptions,
  ): AsyncIterable<WatchEvent<T>> {
    return this.#client.watch<T>(resource, options);
  }

  get<T extends KubeObject>(
    resource: Resource,
    name: string,
    options?: RequestOptions,
  ): Promise<T> {
    return this.#client.get<T>(resource, name, options);
  }

  async create<T extends KubeObject>(
    resource: Resource,
    object: T,
    options?: RequestOptions,
  ): Promise<T> {
    this.#check("create", resource);
    return await this.#client.create<T>(resource, object, options);
  }

  async update<T extends KubeObject>(
    resource: Resource,
    object: T,
    options?: RequestOptions,
  ): Promise<T> {
    this.#check("update", resource);
    return await this.#client.update<T>(resource, object, options);
  }

  async apply<T extends KubeObject>(
    resource: Resource,
    object: T,
    options: ApplyOptions,
  ): Promise<T> {
    this.#check("apply", resource);
    return await this.#client.apply<T>(resource, object, options);
  }

  async patch<T extends KubeObject>(
    resource: Resource,
    name: string,
    patch: unknown,
    options: PatchOptions,
  ): Promise<T> {
    this.#check("patch", resource);
    return await this.#client.patch<T>(resource, name, patch, options);
  }

  async delete(resource: Resource, name: string, options?: DeleteOptions): Promise<void> {
    this.#check("delete", resource);
    await this.#client.delete(resource, name, options);
  }

  #check(verb: string, resource: Resource): void {
    if (this.#fence()) return;
    throw new LeadershipLostError(
      `Not writing (${verb} ${resource.plural}): this process no longer holds the leader Lease`,
    );
  }
}
