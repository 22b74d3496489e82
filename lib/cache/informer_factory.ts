/**
 * Builds the informer of one resource as pgop runs it: over all namespaces,
 * one namespace, or one informer per namespace seen as one; with its cache
 * metrics (relists, watch restarts, events, objects) following its store.
 *
 * @module
 */
import type { MessageSchema } from "../kube/protobuf.ts";
import { type Resource, resourceLabel } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import type { CacheMetrics } from "../metrics/registry.ts";
import type { Indexer } from "./indexers.ts";
import { Informer } from "./informer.ts";
import { type InformerLike, MultiNamespaceInformer } from "./multi_namespace_informer.ts";
import type { ReflectorHooks } from "./reflector_options.ts";
import type { Transform } from "./transform.ts";

/** What a cache keeps and how it reads: one declaration per cached resource. */
export interface CacheOptions<T extends KubeObject> {
  readonly labelSelector?: string;
  readonly indexers?: Readonly<Record<string, Indexer<T>>>;
  /** What the store keeps of each object (see `transform.ts`). */
  readonly transform?: Transform<T>;
  /** Read as protobuf, decoding only these fields (see `kube/protobuf.ts`). */
  readonly protobuf?: MessageSchema;
}

/** Where caches report; `PgopMetrics` is one. */
export interface CacheMetricsProvider {
  forCache(resource: string): CacheMetrics;
}

/** Options of {@link newInformer}. */
export interface InformerFactoryOptions {
  readonly client: KubeClient;
  /** The namespaces to watch, each with watches of its own; empty: all. */
  readonly namespaces: readonly string[];
  readonly metrics?: CacheMetricsProvider;
}

/** Cache metrics from the reflector (it logs its own errors). */
function cacheHooks(metrics: CacheMetrics): ReflectorHooks {
  return {
    onList: () => metrics.relist(),
    onWatchRestart: () => metrics.watchRestart(),
    onEvent: (type) => {
      metrics.event(type);
      // A bookmark is the server saying the cache is up to date.
      if (type === "BOOKMARK") metrics.synced(Date.now());
    },
  };
}

/** The informer of `resource`, as `options` declares it. Does no I/O. */
export function newInformer<T extends KubeObject>(
  factory: InformerFactoryOptions,
  resource: Resource,
  options: CacheOptions<T>,
): InformerLike<T> {
  const metrics = factory.metrics?.forCache(resourceLabel(resource));
  const make = (namespace: string | undefined) =>
    new Informer<T>(factory.client, resource, {
      ...options,
      namespace,
      hooks: metrics && cacheHooks(metrics),
    });
  const { namespaces } = factory;
  const informer: InformerLike<T> = namespaces.length <= 1
    ? make(namespaces[0])
    : new MultiNamespaceInformer(new Map(namespaces.map((ns) => [ns, make(ns)])));
  if (metrics) {
    // Handlers run after the store changed, so the count is exact.
    const count = () => metrics.objects(informer.store.size);
    informer.addHandler({ onAdd: count, onUpdate: count, onDelete: count });
  }
  return informer;
}
