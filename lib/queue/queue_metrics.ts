/**
 * What a work queue reports (client-go's workqueue metrics interfaces): the
 * events of a queue, the probe read at scrape time, and the provider that
 * makes one queue's metrics. `metrics/workqueue.ts` implements them.
 *
 * @module
 */

/**
 * Where a queue reports what it does (client-go's queue metrics). Durations
 * are milliseconds of the queue's clock. Keys are given for completeness; do
 * not use them as metric labels (unbounded cardinality).
 */
export interface WorkQueueMetrics {
  /** A key started waiting (not called when it was already waiting): `adds_total`. */
  add(key: string): void;
  /** The number of waiting keys (including keys that re-run after their current run): `depth`. */
  depth(n: number): void;
  /** A worker took `key` after it waited `queuedMs`: `queue_duration_seconds`. */
  get(key: string, queuedMs: number): void;
  /** A worker finished `key` after `workMs`: `work_duration_seconds`. */
  done(key: string, workMs: number): void;
  /** A key was scheduled for later (`addAfter`, `addRateLimited`): `retries_total`. */
  retry(key: string): void;
}

/** Read on demand (at scrape time) for the gauges that grow while nothing happens. */
export interface WorkQueueProbe {
  /** The queue's name, the metrics' `name` label. */
  readonly name: string;
  /** Sum of how long each key being processed has been at it: `unfinished_work_seconds`. */
  unfinishedWorkMs(): number;
  /**
   * How long the oldest key being processed has been at it, 0 when idle:
   * `longest_running_processor_seconds`.
   */
  longestRunningMs(): number;
}

/** Makes one queue's {@link WorkQueueMetrics} (client-go's `MetricsProvider`). */
export interface WorkQueueMetricsProvider {
  /** Called once, from the queue's constructor; must not call back into the queue yet. */
  forQueue(probe: WorkQueueProbe): WorkQueueMetrics;
}

/** Metrics that go nowhere, for a queue without a provider. */
export const NO_METRICS: WorkQueueMetrics = {
  add() {},
  depth() {},
  get() {},
  done() {},
  retry() {},
};
