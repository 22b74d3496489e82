/**
 * An in-memory Lease store for leader-election tests: `get`, `create` and
 * `update` of {@link KubeClient} with the API server's resourceVersion rules
 * (409 Conflict for a stale resourceVersion, 409 AlreadyExists, 404 NotFound),
 * and per-client fault injection.
 *
 * @module
 */
import type { Lease } from "kubernetes-types/coordination/v1.d.ts";
import { ApiError } from "../../lib/kube/errors.ts";
import { type Resource, resourcePath, Resources } from "../../lib/kube/resource.ts";
import type {
  KubeClient,
  KubeObject,
  ListPage,
  RequestOptions,
  WatchEvent,
} from "../../lib/kube/types.ts";

/** The requests {@link MemoryLeaseClient} serves. */
export type LeaseVerb = "get" | "create" | "update";

/** One request, as shown to {@link MemoryLeaseClient.intercept}. */
export interface LeaseRequest {
  readonly verb: LeaseVerb;
  readonly namespace: string;
  readonly name: string;
  /** The object sent by `create` and `update`. */
  readonly object?: Lease;
}

/** Leases kept in memory; several {@link MemoryLeaseClient}s can share one store. */
export class MemoryLeases {
  readonly #leases = new Map<string, Lease>();
  #resourceVersion = 0;

  /** A new client over this store (give each elector its own to inject faults separately). */
  client(): MemoryLeaseClient {
    return new MemoryLeaseClient(this);
  }

  /** A copy of the stored Lease, or undefined. */
  read(namespace: string, name: string): Lease | undefined {
    const lease = this.#leases.get(key(namespace, name));
    return lease && structuredClone(lease);
  }

  /**
   * Stores `lease` as another writer would, unconditionally, with a new
   * resourceVersion; returns the stored copy. Its metadata must name it.
   */
  write(lease: Lease): Lease {
    const { namespace, name } = nameOf(lease);
    return this.#store(namespace, name, lease);
  }

  /** @internal the API server's logic behind {@link MemoryLeaseClient}. */
  serve(request: LeaseRequest): Lease {
    const k = key(request.namespace, request.name);
    const current = this.#leases.get(k);
    const path = `${resourcePath(Resources.leases, request)}`;
    switch (request.verb) {
      case "get":
        if (!current) throw notFound(path);
        return structuredClone(current);
      case "create":
        if (current) {
          throw new ApiError(409, {
            reason: "AlreadyExists",
            message: `Lease "${request.name}" already exists`,
          }, {
            request: `POST ${path}`,
          });
        }
        return this.#store(request.namespace, request.name, request.object ?? {});
      case "update": {
        if (!current) throw notFound(path);
        const sent = request.object?.metadata?.resourceVersion;
        // As for most resources, a PUT without resourceVersion is unconditional.
        if (sent && sent !== current.metadata?.resourceVersion) {
          throw new ApiError(409, {
            reason: "Conflict",
            message:
              `Operation cannot be fulfilled on leases "${request.name}": the object has been modified`,
          }, { request: `PUT ${path}` });
        }
        return this.#store(request.namespace, request.name, request.object ?? {}, current);
      }
    }
  }

  #store(namespace: string, name: string, lease: Lease, previous?: Lease): Lease {
    const stored: Lease = {
      ...structuredClone(lease),
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        ...structuredClone(lease.metadata),
        namespace,
        name,
        uid: previous?.metadata?.uid ?? crypto.randomUUID(),
        resourceVersion: String(++this.#resourceVersion),
      },
    };
    this.#leases.set(key(namespace, name), stored);
    return structuredClone(stored);
  }
}

/**
 * A {@link KubeClient} over a {@link MemoryLeases} store serving only `get`,
 * `create` and `update` of Leases; every other method throws. Requests honour
 * `options.signal` (they reject with its reason once it aborts).
 */
export class MemoryLeaseClient implements KubeClient {
  readonly #store: MemoryLeases;
  /**
   * Called before each request is served; a throw or rejection fails the
   * request with that error, and a promise delays it (a promise that never
   * settles makes the request hang until its signal aborts).
   */
  intercept: ((request: LeaseRequest) => void | Promise<void>) | undefined;
  /** Every request made, in order. */
  readonly requests: LeaseRequest[] = [];

  constructor(store: MemoryLeases) {
    this.#store = store;
  }

  get<T extends KubeObject>(
    resource: Resource,
    name: string,
    options?: RequestOptions,
  ): Promise<T> {
    return this.#request(resource, "get", { metadata: { name } }, options);
  }

  create<T extends KubeObject>(
    resource: Resource,
    object: T,
    options?: RequestOptions,
  ): Promise<T> {
    return this.#request(resource, "create", object, options);
  }

  update<T extends KubeObject>(
    resource: Resource,
    object: T,
    options?: RequestOptions,
  ): Promise<T> {
    return this.#request(resource, "update", object, options);
  }

  list<T extends KubeObject>(): Promise<ListPage<T>> {
    return Promise.reject(new Error("MemoryLeaseClient does not support list"));
  }

  // deno-lint-ignore require-yield
  async *watch<T extends KubeObject>(): AsyncIterable<WatchEvent<T>> {
    throw new Error("MemoryLeaseClient does not support watch");
  }

  apply<T extends KubeObject>(): Promise<T> {
    return Promise.reject(new Error("MemoryLeaseClient does not support apply"));
  }

  patch<T extends KubeObject>(): Promise<T> {
    return Promise.reject(new Error("MemoryLeaseClient does not support patch"));
  }

  delete(): Promise<void> {
    return Promise.reject(new Error("MemoryLeaseClient does not support delete"));
  }

  async #request<T>(
    resource: Resource,
    verb: LeaseVerb,
    object: KubeObject,
    options?: RequestOptions,
  ): Promise<T> {
    if (resource.plural !== Resources.leases.plural || resource.group !== Resources.leases.group) {
      throw new RangeError(`MemoryLeaseClient serves only leases, not "${resource.plural}"`);
    }
    const namespace = options?.namespace ?? object.metadata?.namespace ?? "";
    const name = object.metadata?.name ?? "";
    if (!namespace || !name) throw new RangeError("Namespace and name are required");
    if (object.metadata?.namespace && object.metadata.namespace !== namespace) {
      throw new RangeError(
        `Namespace "${object.metadata.namespace}" does not match "${namespace}"`,
      );
    }
    const snapshot: LeaseRequest = verb === "get"
      ? { verb, namespace, name }
      : { verb, namespace, name, object: structuredClone(object) as Lease };
    this.requests.push(snapshot);
    const signal = options?.signal;
    signal?.throwIfAborted();
    if (this.intercept) await abortable(Promise.resolve(this.intercept(snapshot)), signal);
    signal?.throwIfAborted();
    return this.#store.serve(snapshot) as unknown as T;
  }
}

function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function nameOf(lease: Lease): { namespace: string; name: string } {
  const namespace = lease.metadata?.namespace;
  const name = lease.metadata?.name;
  if (!namespace || !name) throw new RangeError("Lease metadata must have a namespace and a name");
  return { namespace, name };
}

function notFound(path: string): ApiError {
  return new ApiError(404, { reason: "NotFound", message: `Lease not found` }, {
    request: `GET ${path}`,
  });
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;
