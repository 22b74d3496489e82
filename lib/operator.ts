/**
 * pgop assembled: the caches, the Database controller, leader election, the
 * metrics and health server. main.ts parses flags and calls {@link runOperator};
 * tests call it in-process with a client of their own.
 *
 * @module
 */
import type { Pod, Secret, Service } from "kubernetes-types/core/v1.d.ts";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { getLogger } from "@logtape/logtape";
import {
  fieldIndexer,
  NAMESPACE_INDEX,
  namespaceIndexer,
  ownerUidIndexer,
} from "./cache/indexers.ts";
import { Informer } from "./cache/informer.ts";
import { MutationCache } from "./cache/mutation_cache.ts";
import type { Transform } from "./cache/transform.ts";
import { type InformerLike, MultiNamespaceInformer } from "./cache/multi_namespace_informer.ts";
import type { ReflectorHooks } from "./cache/reflector.ts";
import type { Config } from "./config.ts";
import { Controller } from "./controller/controller.ts";
import { type Election, Manager } from "./controller/manager.ts";
import { compactDatabase, projectMetadataOnly, projectStatefulSet } from "./database/projection.ts";
import { databaseKeyOfPod, podProblemChanged, projectPod } from "./database/pods.ts";
import { METADATA_VIEW, POD_VIEW, STATEFULSET_VIEW } from "./database/protobuf_views.ts";
import { DatabaseReconciler } from "./database/reconciler.ts";
import { type Database, KIND, LABEL_MANAGED_BY, MANAGER_NAME, PHASES } from "./database/types.ts";
import { KubeEventRecorder } from "./kube/event_recorder.ts";
import type { MessageSchema } from "./kube/protobuf.ts";
import { type Resource, resourceLabel, Resources } from "./kube/resource.ts";
import type { KubeClient, KubeObject } from "./kube/types.ts";
import { defaultIdentity } from "./leader/identity.ts";
import { FencedClient } from "./leader/fenced_client.ts";
import { LeaderElector } from "./leader/leader_elector.ts";
import type { CacheMetrics, PgopMetrics } from "./metrics/registry.ts";
import { type HttpServer, serveHttp } from "./metrics/server.ts";
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  MinIntervalRateLimiter,
  type RateLimiter,
} from "./queue/rate_limiters.ts";
import { TokenBucket } from "./queue/token_bucket.ts";
import type { WorkQueueMetricsProvider } from "./queue/work_queue.ts";

const log = getLogger(["pgop", "operator"]);

/** How long pgop waits for the metrics server's open connections on stop. */
const SERVER_STOP_MS = 2_000;

/** Children are watched with this selector only: pgop caches nothing it does not manage. */
export const CHILD_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGER_NAME}`;
/** Index of Databases by `spec.environment`, for `list({ fields: { "spec.environment": … } })`. */
export const ENVIRONMENT_INDEX = "spec.environment";
/** Index of children by the uid of their owners. */
export const OWNER_INDEX = "owner";

/**
 * What each cache keeps of an object: Databases whole but for managedFields
 * (the memory diet, with repeated strings shared), children as projections (see database/projection.ts):
 * with thousands of Databases, whole StatefulSets would be most of pgop's memory.
 */
export const CACHE_TRANSFORMS = {
  databases: compactDatabase,
  statefulSets: projectStatefulSet,
  services: projectMetadataOnly<Service>,
  secrets: projectMetadataOnly<Secret>,
  pods: projectPod,
} as const;

/**
 * Children are read as protobuf, decoding only what their projections keep:
 * for the API server a fraction of the work of JSON (a StatefulSet is ~3 KiB
 * of protobuf against ~10 KiB of JSON), and for pgop no parse of what it drops.
 */
export const CACHE_PROTOBUF = {
  statefulSets: STATEFULSET_VIEW,
  services: METADATA_VIEW,
  secrets: METADATA_VIEW,
  pods: POD_VIEW,
} as const;

/** A running pgop, as tests see it. */
export interface RunningOperator {
  readonly databases: InformerLike<Database>;
  readonly manager: Manager;
  readonly server: HttpServer | undefined;
  /** Resolves when pgop has stopped (after its signal aborted). */
  readonly finished: Promise<void>;
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

/** An informer whose cache metrics follow its store. */
function informer<T extends KubeObject>(
  client: KubeClient,
  resource: Resource,
  config: Config,
  metrics: PgopMetrics,
  extra: {
    labelSelector?: string;
    indexers: Record<string, (obj: T) => string[]>;
    transform?: Transform<T>;
    protobuf?: MessageSchema;
  },
): InformerLike<T> {
  const cacheMetrics = metrics.forCache(resourceLabel(resource));
  const make = (namespace: string | undefined) =>
    new Informer<T>(client, resource, {
      namespace,
      labelSelector: extra.labelSelector,
      indexers: extra.indexers,
      transform: extra.transform,
      protobuf: extra.protobuf,
      hooks: cacheHooks(cacheMetrics),
    });
  // All namespaces, one namespace, or one informer per namespace seen as one.
  const result: InformerLike<T> = config.namespaces.length <= 1
    ? make(config.namespaces[0])
    : new MultiNamespaceInformer(new Map(config.namespaces.map((ns) => [ns, make(ns)])));
  // Handlers run after the store changed, so the count is exact.
  const count = () => cacheMetrics.objects(result.store.size);
  result.addHandler({ onAdd: count, onUpdate: count, onDelete: count });
  return result;
}

/** The work queue's limiter: per-key backoff, an overall bucket, and optionally the seed's min interval. */
function rateLimiter(config: Config): RateLimiter<string> {
  const limiters: RateLimiter<string>[] = [new ItemExponentialFailureRateLimiter<string>()];
  if (config.queueQps > 0) {
    limiters.push(
      new BucketRateLimiter<string>(
        new TokenBucket({ qps: config.queueQps, burst: config.queueBurst }),
      ),
    );
  }
  if (config.minReconcileIntervalMs > 0) {
    limiters.push(new MinIntervalRateLimiter<string>(config.minReconcileIntervalMs));
  }
  return new MaxOfRateLimiter<string>(...limiters);
}

/** Never-reconciled Databases (and ones whose spec changed since) go first. */
function priority(db: Database): "high" | "normal" {
  return db.status?.observedGeneration === db.metadata?.generation ? "normal" : "high";
}

/** Starts pgop; it runs until `signal` aborts. */
export function runOperator(
  client: KubeClient,
  config: Config,
  metrics: PgopMetrics,
  signal: AbortSignal,
  options: { serve?: boolean } = {},
): RunningOperator {
  const databases = informer<Database>(client, Resources.databases, config, metrics, {
    indexers: {
      [NAMESPACE_INDEX]: namespaceIndexer,
      [ENVIRONMENT_INDEX]: fieldIndexer(ENVIRONMENT_INDEX),
    },
    transform: CACHE_TRANSFORMS.databases,
  });
  const childIndexers = { [NAMESPACE_INDEX]: namespaceIndexer, [OWNER_INDEX]: ownerUidIndexer };
  const child = <T extends KubeObject>(
    resource: Resource,
    transform: Transform<T>,
    protobuf: MessageSchema,
  ) =>
    informer<T>(client, resource, config, metrics, {
      labelSelector: CHILD_SELECTOR,
      indexers: childIndexers,
      transform,
      protobuf,
    });
  const statefulSets = child<StatefulSet>(
    Resources.statefulSets,
    CACHE_TRANSFORMS.statefulSets,
    CACHE_PROTOBUF.statefulSets,
  );
  const services = child<Service>(
    Resources.services,
    CACHE_TRANSFORMS.services,
    CACHE_PROTOBUF.services,
  );
  const secrets = child<Secret>(
    Resources.secrets,
    CACHE_TRANSFORMS.secrets,
    CACHE_PROTOBUF.secrets,
  );
  // Pods are the StatefulSets' (pgop never writes them); watched to say why one does not start.
  const pods = informer<Pod>(client, Resources.pods, config, metrics, {
    labelSelector: CHILD_SELECTOR,
    indexers: {},
    transform: CACHE_TRANSFORMS.pods,
    protobuf: CACHE_PROTOBUF.pods,
  });
  // pgop's own writes, kept as the informers keep objects, until the informers catch up.
  const readYourWrites = <T extends KubeObject>(
    source: InformerLike<T>,
    transform: Transform<T>,
  ) => {
    const cache = new MutationCache(source.store, { transform });
    source.addHandler(cache.handler());
    return cache;
  };
  const caches = {
    databases: readYourWrites(databases, CACHE_TRANSFORMS.databases),
    statefulSets: readYourWrites(statefulSets, CACHE_TRANSFORMS.statefulSets),
    services: readYourWrites(services, CACHE_TRANSFORMS.services),
    secrets: readYourWrites(secrets, CACHE_TRANSFORMS.secrets),
    pods: pods.store,
  };

  metrics.setPhaseCounter(() => {
    const counts: Record<string, number> = Object.fromEntries(PHASES.map((p) => [p, 0]));
    for (const db of databases.store.list()) {
      const phase = db.status?.phase ?? "Pending";
      counts[phase] = (counts[phase] ?? 0) + 1;
    }
    return counts;
  });

  // With leader election, every write is fenced: a replica that cannot be sure it still holds
  // the Lease (it lost it, or was paused past its renew deadline) sends nothing.
  let elector: LeaderElector | undefined;
  const writer: KubeClient = config.leaderElect
    ? new FencedClient(client, () => elector?.holdsLease() ?? false)
    : client;
  const events = new KubeEventRecorder(writer, { component: "pgop" });
  const reconciler = new DatabaseReconciler({ client: writer, caches, events });
  let current: Controller<Database> | undefined;
  const queueMetrics: WorkQueueMetricsProvider = {
    forQueue: (probe) => {
      const inner = metrics.forQueue(probe);
      return { ...inner, depth: (n) => (inner.depth(n), metrics.setReconcileQueueDepth(n)) };
    },
  };
  const controllers = () => {
    current = new Controller<Database>({
      name: "database",
      primary: databases,
      primaryKind: KIND,
      owned: [{ informer: statefulSets }, { informer: services }, { informer: secrets }, {
        informer: pods,
        primaryKey: databaseKeyOfPod,
        // Only when what status reports of the pod changes: no reconcile per kubelet update.
        predicate: (a, b) => podProblemChanged(a as Pod | undefined, b as Pod | undefined),
      }],
      reconciler,
      workers: config.workers,
      rateLimiter: rateLimiter(config),
      queueMetrics,
      debounceMs: config.debounceMs,
      priority,
      // Status-only changes (pgop's own status writes) need no reconcile.
      updatePredicate: (a, b) =>
        a.metadata?.generation !== b.metadata?.generation ||
        a.metadata?.deletionTimestamp !== b.metadata?.deletionTimestamp,
      resyncMs: config.resyncMs,
      onReconcile: (outcome, seconds) => metrics.observeReconcile(outcome, seconds),
    });
    return [current];
  };

  const election: Election | undefined = config.leaderElect
    ? {
      campaign: (campaignSignal, lead) => {
        elector = new LeaderElector({
          client,
          namespace: config.leaderElectionNamespace,
          name: config.leaderElectionId,
          identity: config.identity ?? defaultIdentity(),
          leaseDurationMs: config.leaseDurationMs,
          renewDeadlineMs: config.renewDeadlineMs,
          retryPeriodMs: config.retryPeriodMs,
          onStartedLeading: lead,
          onStoppedLeading: () => {},
          onNewLeader: (identity) => log.info("Leader is {identity}", { identity }),
          metrics: {
            leaderOn: (name) => metrics.setLeader(name, true),
            leaderOff: (name) => metrics.setLeader(name, false),
          },
        });
        return elector.run(campaignSignal);
      },
    }
    : undefined;
  if (!election) metrics.setLeader(config.leaderElectionId, true);

  const informers = [databases, statefulSets, services, secrets, pods];
  const manager = new Manager({
    caches: informers,
    onSynced: () => {
      for (const cache of informers) {
        const m = metrics.forCache(cache.resource);
        m.synced(Date.now());
        m.objects(cache.store.size);
      }
    },
    controllers,
    election,
    syncTimeoutMs: config.syncTimeoutMs,
    drainMs: config.shutdownTimeoutMs,
  });
  // Stops the server and probes when pgop ends, also when it ends with an error.
  const stop = new AbortController();
  signal.addEventListener("abort", () => stop.abort(signal.reason), { once: true });
  metrics.startRuntimeProbes(stop.signal);
  const server = options.serve === false ? undefined : serveHttp({
    hostname: config.metricsHostname,
    port: config.metricsPort,
    metrics,
    health: {
      live: () => metrics.eventLoopLagSeconds() < 5,
      ready: () =>
        manager.synced
          ? { ok: true, detail: "caches synced" }
          : { ok: false, detail: "waiting for the caches to sync" },
    },
    signal: stop.signal,
  });
  const finished = (async () => {
    try {
      await manager.run(signal);
    } finally {
      stop.abort();
      // In-flight scrapes finish; a client that keeps its connection busy
      // must not hold up the exit for long.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, SERVER_STOP_MS)));
      await Promise.race([server?.finished, bound]);
      clearTimeout(timer);
      log.debug("Metrics server stopped");
    }
  })();
  return { databases, manager, server, finished };
}
