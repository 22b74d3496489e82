/**
 * The contract between pgop and the Kubernetes API: object shapes, list and
 * watch results, and the {@link KubeClient} interface that the cache, the
 * controllers and leader election consume. Types only; the transport lives in
 * `rest_client.ts`.
 *
 * @module
 */
import type { ObjectMeta } from "kubernetes-types/meta/v1.d.ts";
import type { MessageSchema } from "./protobuf.ts";
import type { Resource } from "./resource.ts";

export type { ObjectMeta };

/** Any Kubernetes object: apiVersion, kind and metadata at least. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** `metav1.Status`, as returned in error bodies and watch ERROR events. */
export interface Status {
  readonly kind?: "Status";
  readonly apiVersion?: string;
  readonly status?: "Success" | "Failure";
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly kind?: string;
    readonly causes?: ReadonlyArray<
      { readonly reason?: string; readonly message?: string; readonly field?: string }
    >;
    readonly retryAfterSeconds?: number;
  };
}

/** One page of a list call. */
export interface ListPage<T extends KubeObject> {
  readonly items: T[];
  /** The collection's resourceVersion at the time of the list. */
  readonly resourceVersion: string;
  /** Token for the next page; empty when this was the last one. */
  readonly continue?: string;
  /** Items left after this page, when the server knows. */
  readonly remainingItemCount?: number;
}

/** A decoded watch event (`watch.Event` in client-go). */
export type WatchEvent<T extends KubeObject> =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: T }
  /** Carries only `metadata.resourceVersion` (and, after an initial-events stream, an annotation). */
  | { readonly type: "BOOKMARK"; readonly object: T }
  | { readonly type: "ERROR"; readonly object: Status };

/** Where a request goes: the namespace (for namespaced resources). */
export interface Scope {
  /** Namespace of a namespaced resource; omit for all namespaces (list/watch) or cluster scope. */
  readonly namespace?: string;
}

/** Selectors shared by list and watch. */
export interface Selectors extends Scope {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/** Options of one list page. */
export interface ListOptions extends Selectors {
  /** Page size; 0 or absent for no limit. */
  readonly limit?: number;
  readonly continue?: string;
  /** "" for a quorum read (most recent), "0" for any cached state. */
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: "NotOlderThan" | "Exact";
  /** See {@link WatchOptions.protobuf}. */
  readonly protobuf?: MessageSchema;
  readonly signal?: AbortSignal;
}

/** Options of a watch. */
export interface WatchOptions extends Selectors {
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
  /** Streaming list: the server first sends the current state as ADDED events, then a bookmark. */
  readonly sendInitialEvents?: boolean;
  readonly resourceVersionMatch?: "NotOlderThan";
  /** Server-side watch timeout; the server ends the stream after it. */
  readonly timeoutSeconds?: number;
  /**
   * Ask for protobuf and decode only these fields of each object (see
   * `protobuf.ts`): for built-in kinds, far cheaper for the API server and for
   * pgop than JSON. The server answers JSON for custom resources, which is
   * then decoded whole. A client may ignore it and return whole objects.
   */
  readonly protobuf?: MessageSchema;
  readonly signal?: AbortSignal;
}

/** Options of a server-side apply. */
export interface ApplyOptions {
  /** Field manager; pgop uses "pgop". */
  readonly fieldManager: string;
  /** Take ownership of conflicting fields. */
  readonly force?: boolean;
  /** "status" to apply to the status subresource. */
  readonly subresource?: string;
  readonly signal?: AbortSignal;
}

/** Options of a JSON merge patch, JSON patch or strategic merge patch. */
export interface PatchOptions extends Scope {
  readonly type: "merge" | "json" | "strategic";
  readonly subresource?: string;
  readonly fieldManager?: string;
  readonly signal?: AbortSignal;
}

/** Options of a delete. */
export interface DeleteOptions extends Scope {
  readonly propagationPolicy?: "Foreground" | "Background" | "Orphan";
  /** Delete only if the object still has this UID / resourceVersion. */
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly gracePeriodSeconds?: number;
  readonly signal?: AbortSignal;
}

/** Options of a get, create or update. */
export interface RequestOptions extends Scope {
  readonly subresource?: string;
  readonly fieldManager?: string;
  readonly signal?: AbortSignal;
}

/**
 * What pgop needs from the API server. Every method throws `ApiError` for a
 * non-2xx answer and `TransportError` when no answer arrived.
 */
export interface KubeClient {
  /** One page of a list. */
  list<T extends KubeObject>(resource: Resource, options?: ListOptions): Promise<ListPage<T>>;
  /**
   * A watch stream. Iteration ends when the server closes the stream or the
   * signal aborts (then without error); it throws on a broken connection.
   */
  watch<T extends KubeObject>(
    resource: Resource,
    options?: WatchOptions,
  ): AsyncIterable<WatchEvent<T>>;
  get<T extends KubeObject>(resource: Resource, name: string, options?: RequestOptions): Promise<T>;
  create<T extends KubeObject>(resource: Resource, object: T, options?: RequestOptions): Promise<T>;
  /** PUT of the whole object (optimistic concurrency on metadata.resourceVersion). */
  update<T extends KubeObject>(resource: Resource, object: T, options?: RequestOptions): Promise<T>;
  /** Server-side apply of `object` (its metadata names it). */
  apply<T extends KubeObject>(resource: Resource, object: T, options: ApplyOptions): Promise<T>;
  patch<T extends KubeObject>(
    resource: Resource,
    name: string,
    patch: unknown,
    options: PatchOptions,
  ): Promise<T>;
  delete(resource: Resource, name: string, options?: DeleteOptions): Promise<void>;
}
