/**
 * Every metric pgop exposes, by name and help text, in one place (as
 * controller-runtime keeps its names in `metrics/`). Names that exist in
 * client-go or controller-runtime keep their meaning there so that existing
 * dashboards and alerts work; pgop's own metrics carry the `pgop_` or
 * `database_` prefix.
 *
 * @module
 */

/** A metric's name and help text, as written to the exposition. */
export interface MetricName {
  readonly name: string;
  readonly help: string;
}

/** How a reconcile ended: the `result` label of the reconcile metrics. */
export const RECONCILE_RESULTS = [
  "success",
  "error",
  "requeue",
  "requeue_after",
  "terminal",
] as const;

/** One value of {@link RECONCILE_RESULTS}. */
export type ReconcileResult = typeof RECONCILE_RESULTS[number];

/**
 * Reconcile duration buckets in seconds: a reconcile that changes nothing
 * finishes in about a millisecond (cache reads only); one that applies objects
 * takes a few round trips; anything near 10 s is stuck on the API server.
 */
export const RECONCILE_BUCKETS: readonly number[] = [
  0.001,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/**
 * Work-queue latency buckets in seconds, controller-runtime's
 * `prometheus.ExponentialBuckets(10e-9, 10, 12)`: 10 ns to 1000 s.
 */
export const WORKQUEUE_BUCKETS: readonly number[] = [
  1e-8,
  1e-7,
  1e-6,
  1e-5,
  1e-4,
  1e-3,
  1e-2,
  1e-1,
  1,
  10,
  100,
  1000,
];

/** REST latency buckets in seconds, client-go's request-latency buckets. */
export const REST_BUCKETS: readonly number[] = [
  0.005,
  0.025,
  0.1,
  0.25,
  0.5,
  1,
  2,
  4,
  8,
  15,
  30,
  60,
];

// Reconciler (controller-runtime names its own `controller_runtime_reconcile_*`;
// these are pgop's, labelled by result).

export const RECONCILE_DURATION: MetricName = {
  name: "database_reconcile_duration_seconds",
  help: "Time taken by one reconcile of a Database, by result.",
};
export const RECONCILE_TOTAL: MetricName = {
  name: "database_reconcile_total",
  help: "Reconciles of Databases, by result.",
};
export const RECONCILE_QUEUE_DEPTH: MetricName = {
  name: "database_reconcile_queue_depth",
  help: "Database keys waiting to be reconciled.",
};
export const FAILOVERS_TOTAL: MetricName = {
  name: "database_failovers_total",
  help: "Automated fail-overs pgop made: a lost primary replaced by a standby (docs/failover.md).",
};
export const DATABASES: MetricName = {
  name: "pgop_databases",
  help: "Databases in the cache, by status phase.",
};

// Work queue (controller-runtime's names and meaning; labels `name` and `controller`).

export const WORKQUEUE_DEPTH: MetricName = {
  name: "workqueue_depth",
  help: "Current depth of workqueue",
};
export const WORKQUEUE_ADDS: MetricName = {
  name: "workqueue_adds_total",
  help: "Total number of adds handled by workqueue",
};
export const WORKQUEUE_QUEUE_DURATION: MetricName = {
  name: "workqueue_queue_duration_seconds",
  help: "How long in seconds an item stays in workqueue before being requested",
};
export const WORKQUEUE_WORK_DURATION: MetricName = {
  name: "workqueue_work_duration_seconds",
  help: "How long in seconds processing an item from workqueue takes.",
};
export const WORKQUEUE_UNFINISHED_WORK: MetricName = {
  name: "workqueue_unfinished_work_seconds",
  help: "How many seconds of work has been done that is in progress and hasn't " +
    "been observed by work_duration. Large values indicate stuck threads. One can " +
    "deduce the number of stuck threads by observing the rate at which this increases.",
};
export const WORKQUEUE_LONGEST_RUNNING: MetricName = {
  name: "workqueue_longest_running_processor_seconds",
  help: "How many seconds has the longest running processor for workqueue been running.",
};
export const WORKQUEUE_RETRIES: MetricName = {
  name: "workqueue_retries_total",
  help: "Total number of retries handled by workqueue",
};

// REST client (client-go's names; see PgopMetrics.observeRequest for the label differences).

export const REST_REQUESTS: MetricName = {
  name: "rest_client_requests_total",
  help: "Number of HTTP requests, partitioned by status code, verb and resource.",
};
export const REST_REQUEST_DURATION: MetricName = {
  name: "rest_client_request_duration_seconds",
  help: "Request latency in seconds, by verb and resource.",
};
export const REST_RATE_LIMITER_DURATION: MetricName = {
  name: "rest_client_rate_limiter_duration_seconds",
  help: "Time in seconds a request waited on the client-side rate limiter, by verb.",
};

// Replication lag (lib/database/lag_observer.ts).

/** How a look at a primary's replication ended: the `result` label of {@link LAG_LOOKS}. */
export const LAG_LOOK_RESULTS = ["ok", "not_primary", "error"] as const;

export const LAG_LOOKS: MetricName = {
  name: "pgop_replication_lag_looks_total",
  help:
    "Looks at primaries for their standbys' lag (a Secret read, a connection, a query), by result.",
};

// Watch cache.

export const CACHE_OBJECTS: MetricName = {
  name: "pgop_cache_objects",
  help: "Objects held in the watch cache, by resource.",
};
export const CACHE_RELISTS: MetricName = {
  name: "pgop_cache_relists_total",
  help: "Full lists made by the watch cache (start-up and after 410 Gone), by resource.",
};
export const CACHE_WATCH_RESTARTS: MetricName = {
  name: "pgop_cache_watch_restarts_total",
  help: "Watches resumed from the last resourceVersion after ending or failing, by resource.",
};
export const CACHE_LAST_SYNC: MetricName = {
  name: "pgop_cache_last_sync_timestamp_seconds",
  help: "Unix time of the last completed list of the watch cache, by resource.",
};
export const CACHE_EVENTS: MetricName = {
  name: "pgop_cache_events_total",
  help: "Watch events received by the watch cache, by resource and event type.",
};

// Leader election (client-go's name).

export const LEADER_STATUS: MetricName = {
  name: "leader_election_master_status",
  help: "Gauge of if the reporting system is master of the relevant lease, " +
    "0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease.",
};

// Process and runtime (prom-client's default collectors report zeros on Deno).

export const PROCESS_RESIDENT_MEMORY: MetricName = {
  name: "process_resident_memory_bytes",
  help: "Resident memory size in bytes.",
};
export const PROCESS_CPU_SECONDS: MetricName = {
  name: "process_cpu_seconds_total",
  help: "Total user and system CPU time spent in seconds.",
};
export const PROCESS_START_TIME: MetricName = {
  name: "process_start_time_seconds",
  help: "Start time of the process since unix epoch in seconds.",
};
export const HEAP_USED: MetricName = {
  name: "pgop_heap_used_bytes",
  help: "V8 heap in use, in bytes.",
};
export const HEAP_TOTAL: MetricName = {
  name: "pgop_heap_total_bytes",
  help: "V8 heap reserved, in bytes.",
};
export const EVENT_LOOP_LAG: MetricName = {
  name: "pgop_event_loop_lag_seconds",
  help: "How late the last event-loop probe timer fired, in seconds.",
};
