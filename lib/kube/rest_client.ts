/**
 * {@link KubeClient} over Deno's `fetch`: each verb becomes a path, query and
 * body for {@link HttpTransport}, which does rate limiting, retries and errors;
 * list pages and watch streams are decoded here.
 *
 * @module
 */
import { TransportError } from "./errors.ts";
import { type HttpCall, HttpTransport, type TransportOptions } from "./http_transport.ts";
import type { ConnectionConfig } from "./kubeconfig.ts";
import { decodeList, PROTOBUF_ACCEPT } from "./kube_protobuf.ts";
import type { MessageSchema } from "./protobuf.ts";
import {
  APPLY_CONTENT_TYPE,
  listQuery,
  PATCH_CONTENT_TYPES,
  watchQuery,
  withQuery,
  writeQuery,
} from "./query.ts";
import { apiVersionOf, type Resource, resourcePath } from "./resource.ts";
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
} from "./types.ts";
import { watchEvents } from "./watch_stream.ts";

export type { RequestInfo } from "./http_transport.ts";

/** Options of a {@link RestClient}: those of its {@link HttpTransport}. */
export type RestClientOptions = TransportOptions;

interface ListBody<T> {
  readonly items?: T[] | null;
  readonly metadata?: {
    readonly resourceVersion?: string;
    readonly continue?: string;
    readonly remainingItemCount?: number;
  };
}

/**
 * A {@link KubeClient} on `fetch`. Beyond the interface it guarantees: bad
 * arguments (missing name, namespace of a namespaced object, fieldManager of
 * an apply, negative limit) reject with `RangeError` before any request (a
 * watch throws it when called); objects sent without
 * apiVersion/kind get the resource's, and list items (which the server sends
 * without them) get them filled in; an aborted signal rejects with its reason,
 * except that a watch then just ends. Retry and rate-limit behaviour is
 * {@link HttpTransport}'s. Call {@link close} when done.
 */
export class RestClient implements KubeClient, Disposable {
  readonly #transport: HttpTransport;

  /** @throws {RangeError} for a server that is not an http(s) URL or out-of-range options */
  constructor(config: ConnectionConfig, options: RestClientOptions = {}) {
    this.#transport = new HttpTransport(config, options);
  }

  /** Closes the connection pool; idempotent. */
  close(): void {
    this.#transport.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async list<T extends KubeObject>(
    resource: Resource,
    options: ListOptions = {},
  ): Promise<ListPage<T>> {
    const path = resourcePath(resource, { namespace: options.namespace });
    const call: HttpCall = {
      verb: "list",
      resource,
      method: "GET",
      path: withQuery(path, listQuery(options)),
      signal: options.signal,
    };
    const list = await this.#json<ListBody<T>>(
      options.protobuf ? { ...call, accept: PROTOBUF_ACCEPT } : call,
      options.protobuf,
    );
    const items = list.items ?? [];
    const apiVersion = apiVersionOf(resource);
    for (const item of items) {
      item.apiVersion ??= apiVersion;
      item.kind ??= resource.kind;
    }
    return {
      items,
      resourceVersion: list.metadata?.resourceVersion ?? "",
      continue: list.metadata?.continue || undefined,
      remainingItemCount: list.metadata?.remainingItemCount,
    };
  }

  watch<T extends KubeObject>(
    resource: Resource,
    options: WatchOptions = {},
  ): AsyncIterable<WatchEvent<T>> {
    // Built eagerly so that bad options throw here, not at the first next().
    const path = resourcePath(resource, { namespace: options.namespace });
    const query = watchQuery(options);
    const { signal } = options;
    return watchEvents<T>(this.#transport, {
      verb: "watch",
      resource,
      method: "GET",
      path: withQuery(path, query),
      signal,
      stream: true,
      ...(options.protobuf ? { accept: PROTOBUF_ACCEPT } : {}),
    }, options.protobuf);
  }

  async get<T extends KubeObject>(
    resource: Resource,
    name: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const { namespace, subresource, signal } = options;
    const path = resourcePath(resource, { namespace, name: required(name), subresource });
    return await this.#json<T>({ verb: "get", resource, method: "GET", path, signal });
  }

  async create<T extends KubeObject>(
    resource: Resource,
    object: T,
    options: RequestOptions = {},
  ): Promise<T> {
    const namespace = options.namespace ?? object.metadata?.namespace;
    // A subresource create (e.g. pods/eviction) addresses the parent object.
    const name = options.subresource ? required(object.metadata?.name) : undefined;
    const path = resourcePath(resource, { namespace, name, subresource: options.subresource });
    return await this.#write<T>("POST", resource, path, object, options);
  }

  async update<T extends KubeObject>(
    resource: Resource,
    object: T,
    options: RequestOptions = {},
  ): Promise<T> {
    const namespace = options.namespace ?? object.metadata?.namespace;
    const name = required(object.metadata?.name);
    const path = resourcePath(resource, { namespace, name, subresource: options.subresource });
    return await this.#write<T>("PUT", resource, path, object, options);
  }

  async apply<T extends KubeObject>(
    resource: Resource,
    object: T,
    options: ApplyOptions,
  ): Promise<T> {
    if (!options.fieldManager) throw new RangeError("fieldManager is required for apply");
    const namespace = object.metadata?.namespace;
    const name = required(object.metadata?.name);
    const path = resourcePath(resource, { namespace, name, subresource: options.subresource });
    return await this.#json<T>({
      verb: "apply",
      resource,
      method: "PATCH",
      path: withQuery(path, writeQuery(options.fieldManager, options.force)),
      body: JSON.stringify(withTypeMeta(resource, object)),
      contentType: APPLY_CONTENT_TYPE,
      signal: options.signal,
    });
  }

  async patch<T extends KubeObject>(
    resource: Resource,
    name: string,
    patch: unknown,
    options: PatchOptions,
  ): Promise<T> {
    const contentType = PATCH_CONTENT_TYPES[options.type];
    if (!contentType) throw new RangeError(`Unknown patch type "${options.type}"`);
    const { namespace, subresource } = options;
    const path = resourcePath(resource, { namespace, name: required(name), subresource });
    return await this.#json<T>({
      verb: "patch",
      resource,
      method: "PATCH",
      path: withQuery(path, writeQuery(options.fieldManager)),
      body: JSON.stringify(patch),
      contentType,
      signal: options.signal,
    });
  }

  async delete(resource: Resource, name: string, options: DeleteOptions = {}): Promise<void> {
    const path = resourcePath(resource, { namespace: options.namespace, name: required(name) });
    const body = JSON.stringify({
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: options.propagationPolicy,
      preconditions: options.preconditions,
      gracePeriodSeconds: options.gracePeriodSeconds,
    });
    const contentType = "application/json";
    const { signal } = options;
    await this.#transport.send({
      verb: "delete",
      resource,
      method: "DELETE",
      path,
      body,
      contentType,
      signal,
    });
  }

  #write<T>(
    method: "POST" | "PUT",
    resource: Resource,
    path: string,
    object: KubeObject,
    options: RequestOptions,
  ): Promise<T> {
    return this.#json<T>({
      verb: method === "POST" ? "create" : "update",
      resource,
      method,
      path: withQuery(path, writeQuery(options.fieldManager)),
      body: JSON.stringify(withTypeMeta(resource, object)),
      contentType: "application/json",
      signal: options.signal,
    });
  }

  /**
   * The answer to `call`, parsed: JSON, or a protobuf list decoded with
   * `listSchema` when `call` asked for protobuf and the server sent it.
   */
  async #json<T>(call: HttpCall, listSchema?: MessageSchema): Promise<T> {
    const { text, bytes } = await this.#transport.send(call);
    try {
      return (bytes && listSchema ? decodeList(bytes, listSchema) : JSON.parse(text)) as T;
    } catch (err) {
      throw new TransportError(`${call.method} ${call.path}`, err);
    }
  }
}

function required(name: string | undefined): string {
  if (!name) throw new RangeError("Object name is required");
  return name;
}

function withTypeMeta(resource: Resource, object: KubeObject): KubeObject {
  return {
    ...object,
    apiVersion: object.apiVersion ?? apiVersionOf(resource),
    kind: object.kind ?? resource.kind,
  };
}
