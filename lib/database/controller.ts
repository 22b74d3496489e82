/**
 * The Database controller as the manager runs it: everything Database-specific
 * about the wiring lives here. Which caches (and how each keeps its objects,
 * see {@link databaseCaches}), what queues a Database (its own changes but
 * status-only ones, and its children's), which Databases go first, how fast
 * reconciles may run, and the `pgop_databases{phase}` gauge.
 *
 * @module
 */
import type { Pod, Secret, Service } from "kubernetes-types/core/v1.d.ts";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { CacheOptions } from "../cache/informer_factory.ts";
import {
  fieldIndexer,
  NAMESPACE_INDEX,
  namespaceIndexer,
  ownerUidIndexer,
} from "../cache/indexers.ts";
import type { InformerLike } from "../cache/multi_namespace_informer.ts";
import { MutationCache } from "../cache/mutation_cache.ts";
import type { StoreReader } from "../cache/store.ts";
import type { Config } from "../config.ts";
import { byLabel, controllerManagedBy } from "../controller/builder.ts";
import type { Manager } from "../controller/manager.ts";
import { KubeEventRecorder } from "../kube/event_recorder.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import type { PgopMetrics } from "../metrics/registry.ts";
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  MinIntervalRateLimiter,
  type RateLimiter,
} from "../queue/rate_limiters.ts";
import { TokenBucket } from "../queue/token_bucket.ts";
import type { WorkQueueMetricsProvider } from "../queue/queue_metrics.ts";
import { objectKey } from "../cache/store.ts";
import { instanceChanged } from "./instances.ts";
import { LagObservations } from "./lag_observations.ts";
import { LagObserver, passwordFromSecret } from "./lag_observer.ts";
import { SWITCHOVER_ANNOTATION } from "./pod_roles.ts";
import { podProblemChanged } from "./pods.ts";
import { newProjections } from "./projection.ts";
import { DatabaseReconciler } from "./reconciler.ts";
import {
  type Database,
  KIND,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  MANAGER_NAME,
  PHASES,
} from "./types.ts";

/** Children are watched with this selector only: pgop caches nothing it does not manage. */
export const CHILD_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGER_NAME}`;
/** Index of Databases by `spec.environment`, for `list({ fields: { "spec.environment": … } })`. */
export const ENVIRONMENT_INDEX = "spec.environment";
/** Index of children by the uid of their owners. */
export const OWNER_INDEX = "owner";

/** The caches of the Database controller, one declaration each. */
export interface DatabaseCacheOptions {
  readonly databases: CacheOptions<Database>;
  readonly statefulSets: CacheOptions<StatefulSet>;
  readonly services: CacheOptions<Service>;
  readonly secrets: CacheOptions<Secret>;
  readonly pods: CacheOptions<Pod>;
}

/**
 * What each cache keeps of an object: Databases whole but for managedFields
 * (with repeated strings shared), children as projections read as protobuf
 * (see `projection.ts`): with thousands of Databases, whole StatefulSets
 * would be most of pgop's memory, and their JSON most of the API server's
 * work. The four caches share one interning (`interning.ts`), made here.
 */
export function databaseCaches(): DatabaseCacheOptions {
  const child = { [NAMESPACE_INDEX]: namespaceIndexer, [OWNER_INDEX]: ownerUidIndexer };
  const p = newProjections();
  const metadataOnly = {
    labelSelector: CHILD_SELECTOR,
    indexers: child,
    transform: p.metadataOnly,
    protobuf: p.views.metadataOnly,
  };
  return {
    databases: {
      indexers: {
        [NAMESPACE_INDEX]: namespaceIndexer,
        [ENVIRONMENT_INDEX]: fieldIndexer(ENVIRONMENT_INDEX),
      },
      transform: p.database,
    },
    statefulSets: {
      labelSelector: CHILD_SELECTOR,
      indexers: child,
      transform: p.statefulSet,
      protobuf: p.views.statefulSet,
    },
    services: metadataOnly as CacheOptions<Service>,
    secrets: metadataOnly as CacheOptions<Secret>,
    // The StatefulSets' pods (they carry the same label; pgop writes only their role labels and annotations).
    pods: {
      labelSelector: CHILD_SELECTOR,
      indexers: {},
      transform: p.pod,
      protobuf: p.views.pod,
    },
  };
}

/** The work queue's limiter: per-key backoff, an overall bucket, and optionally a min interval. */
export function databaseRateLimiter(config: Config): RateLimiter<string> {
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
export function priority(db: Database): "high" | "normal" {
  return db.status?.observedGeneration === db.metadata?.generation ? "normal" : "high";
}

/**
 * Status-only changes (pgop's own status writes) need no reconcile; a spec
 * change, a deletion, or a switchover request (an annotation) does.
 */
export function specOrDeletionChanged(a: Database, b: Database): boolean {
  return a.metadata?.generation !== b.metadata?.generation ||
    a.metadata?.deletionTimestamp !== b.metadata?.deletionTimestamp ||
    a.metadata?.annotations?.[SWITCHOVER_ANNOTATION] !==
      b.metadata?.annotations?.[SWITCHOVER_ANNOTATION];
}

/** Databases by phase (every phase present, zeros included), for `pgop_databases{phase}`. */
export function countPhases(databases: StoreReader<Database>): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(PHASES.map((p) => [p, 0]));
  for (const db of databases.list()) {
    const phase = db.status?.phase ?? "Pending";
    counts[phase] = (counts[phase] ?? 0) + 1;
  }
  return counts;
}

/** The queue's metrics, with its depth also as `database_reconcile_queue_depth`. */
function queueMetrics(metrics: PgopMetrics): WorkQueueMetricsProvider {
  return {
    forQueue: (probe) => {
      const inner = metrics.forQueue(probe);
      return { ...inner, depth: (n) => (inner.depth(n), metrics.setReconcileQueueDepth(n)) };
    },
  };
}

/** Options of {@link databaseController}. */
export interface DatabaseControllerOptions {
  /** What the reconciler writes with (fenced by leader election when on). */
  readonly writer: KubeClient;
  readonly config: Config;
  readonly metrics: PgopMetrics;
}

/** The caches of the Database controller. */
export interface DatabaseInformers {
  readonly databases: InformerLike<Database>;
  readonly statefulSets: InformerLike<StatefulSet>;
  readonly services: InformerLike<Service>;
  readonly secrets: InformerLike<Secret>;
  readonly pods: InformerLike<Pod>;
}

/**
 * Sets up the Database controller on `mgr`: For(Database).Owns(StatefulSet,
 * Service, Secret).Watches(Pod, by its instance label; pgop labels each pod
 * with its role).Watches(the replication lag observations, by Database), and,
 * unless `config.replicationLagIntervalMs` is 0, the lag observer beside it
 * on the leader. Returns its caches.
 */
export function databaseController(
  mgr: Manager,
  { writer, config, metrics }: DatabaseControllerOptions,
): DatabaseInformers {
  const declared = databaseCaches();
  const databases = mgr.cache(Resources.databases, declared.databases);
  const statefulSets = mgr.cache(Resources.statefulSets, declared.statefulSets);
  const services = mgr.cache(Resources.services, declared.services);
  const secrets = mgr.cache(Resources.secrets, declared.secrets);
  const pods = mgr.cache(Resources.pods, declared.pods);
  metrics.setPhaseCounter(() => countPhases(databases.store));
  const lag = new LagObservations();

  // The reconciler reads pgop's own writes until the caches catch up.
  const readYourWrites = <T extends KubeObject>(informer: InformerLike<T>, o: CacheOptions<T>) =>
    MutationCache.over(informer, o.transform);
  const reconciler = new DatabaseReconciler({
    client: writer,
    caches: {
      databases: readYourWrites(databases, declared.databases),
      statefulSets: readYourWrites(statefulSets, declared.statefulSets),
      services: readYourWrites(services, declared.services),
      secrets: readYourWrites(secrets, declared.secrets),
      pods: pods.store,
      lag: lag.store,
    },
    events: new KubeEventRecorder(writer, { component: "pgop" }),
    failoverDelayMs: config.failoverDelayMs,
    onFailover: () => metrics.observeFailover(),
  });

  controllerManagedBy<Database>(mgr)
    .named("database")
    .for(databases, { kind: KIND, priority, updatePredicate: specOrDeletionChanged })
    .owns(statefulSets)
    .owns(services)
    .owns(secrets)
    // A pod queues its Database only when what status or the roles read of it
    // changes, not on every kubelet update.
    .watches(pods, byLabel(LABEL_INSTANCE), (a, b) => {
      const [before, after] = [a as Pod | undefined, b as Pod | undefined];
      return podProblemChanged(before, after) || instanceChanged(before, after);
    })
    // The observer stores an observation only when a lag moved (`lag_observations.ts`).
    .watches(lag, objectKey)
    .withOptions({
      workers: config.workers,
      rateLimiter: databaseRateLimiter(config),
      queueMetrics: queueMetrics(metrics),
      debounceMs: config.debounceMs,
      resyncMs: config.resyncMs,
      onReconcile: (outcome, seconds) => metrics.observeReconcile(outcome, seconds),
    })
    .complete(reconciler);
  const intervalMs = config.replicationLagIntervalMs;
  if (intervalMs > 0) {
    // A fresh observer per term of leadership: a standby replica connects to no database.
    mgr.addController(() =>
      new LagObserver({
        databases: databases.store,
        pods: pods.store,
        observations: lag,
        password: passwordFromSecret(writer),
        intervalMs,
        onLook: (result) => metrics.observeLagLook(result),
      })
    );
  }
  return { databases, statefulSets, services, secrets, pods };
}
