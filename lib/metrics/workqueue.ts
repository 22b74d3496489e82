/**
 * Work-queue metrics with controller-runtime's names and meaning
 * (`workqueue_*`, labels `name` and `controller` both holding the queue's
 * name), as a {@link WorkQueueMetricsProvider} the queues report to.
 *
 * @module
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type {
  WorkQueueMetrics,
  WorkQueueMetricsProvider,
  WorkQueueProbe,
} from "../queue/queue_metrics.ts";
import {
  WORKQUEUE_ADDS,
  WORKQUEUE_BUCKETS,
  WORKQUEUE_DEPTH,
  WORKQUEUE_LONGEST_RUNNING,
  WORKQUEUE_QUEUE_DURATION,
  WORKQUEUE_RETRIES,
  WORKQUEUE_UNFINISHED_WORK,
  WORKQUEUE_WORK_DURATION,
} from "./names.ts";

type Label = "name" | "controller";
const LABELS: readonly Label[] = ["name", "controller"];

/**
 * The `workqueue_*` metrics on one registry. Counters and histograms are
 * updated by the queues as they work; `workqueue_unfinished_work_seconds` and
 * `workqueue_longest_running_processor_seconds` are read from each queue's
 * probe at scrape time, since they grow while nothing happens.
 */
export class WorkQueueMetricSet implements WorkQueueMetricsProvider {
  readonly #probes = new Map<string, WorkQueueProbe>();
  readonly #depth: Gauge<Label>;
  readonly #adds: Counter<Label>;
  readonly #latency: Histogram<Label>;
  readonly #work: Histogram<Label>;
  readonly #retries: Counter<Label>;

  /** Registers the metrics on `registry`; no I/O. */
  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = LABELS;
    const buckets = [...WORKQUEUE_BUCKETS];
    const probes = this.#probes;
    this.#depth = new Gauge({ ...WORKQUEUE_DEPTH, labelNames, registers });
    this.#adds = new Counter({ ...WORKQUEUE_ADDS, labelNames, registers });
    this.#latency = new Histogram({ ...WORKQUEUE_QUEUE_DURATION, labelNames, buckets, registers });
    this.#work = new Histogram({ ...WORKQUEUE_WORK_DURATION, labelNames, buckets, registers });
    new Gauge({
      ...WORKQUEUE_UNFINISHED_WORK,
      labelNames,
      registers,
      collect() {
        for (const [name, probe] of probes) {
          this.set({ name, controller: name }, probe.unfinishedWorkMs() / 1000);
        }
      },
    });
    new Gauge({
      ...WORKQUEUE_LONGEST_RUNNING,
      labelNames,
      registers,
      collect() {
        for (const [name, probe] of probes) {
          this.set({ name, controller: name }, probe.longestRunningMs() / 1000);
        }
      },
    });
    this.#retries = new Counter({ ...WORKQUEUE_RETRIES, labelNames, registers });
  }

  /**
   * The metrics of the queue behind `probe`, every series present at zero
   * from now on. A second queue with the same name replaces the first one's
   * probe and continues its counters (as a queue re-created after a
   * leadership change should).
   * @throws {RangeError} when the queue has no name
   */
  forQueue(probe: WorkQueueProbe): WorkQueueMetrics {
    if (probe.name === "") throw new RangeError("A work queue with metrics needs a non-empty name");
    const labels = { name: probe.name, controller: probe.name };
    this.#probes.set(probe.name, probe);
    const depth = this.#depth.labels(labels);
    const adds = this.#adds.labels(labels);
    const latency = this.#latency.labels(labels);
    const work = this.#work.labels(labels);
    const retries = this.#retries.labels(labels);
    depth.set(0);
    adds.inc(0);
    retries.inc(0);
    this.#latency.zero(labels);
    this.#work.zero(labels);
    return {
      add: () => adds.inc(),
      depth: (n) => depth.set(n),
      get: (_key, queuedMs) => latency.observe(queuedMs / 1000),
      done: (_key, workMs) => work.observe(workMs / 1000),
      retry: () => retries.inc(),
    };
  }
}
