/**
 * pgop's metrics: one prom-client `Registry` per {@link PgopMetrics} (never the
 * global one, so tests and benchmarks can hold several) with every metric
 * named in `names.ts`, and small typed methods through which the reconciler,
 * the work queue, the REST client, the cache and the leader elector report.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "../clock.ts";
import type {
  WorkQueueMetrics,
  WorkQueueMetricsProvider,
  WorkQueueProbe,
} from "../queue/queue_metrics.ts";
import * as N from "./names.ts";
import { EventLoopLagProbe, registerRuntimeMetrics } from "./runtime.ts";
import { WorkQueueMetricSet } from "./workqueue.ts";

/** One API request as the REST client reports it (its `onRequest` hook). */
export interface RequestObservation {
  /** client-go verb: "get", "list", "watch", "apply", … */
  readonly verb: string;
  /** Resource label, e.g. "statefulsets.apps" (see `resourceLabel`). */
  readonly resource: string;
  /** HTTP status, or a marker such as "<error>" when no response came. */
  readonly code: number | string;
  /** Time from sending to the response headers, in milliseconds. */
  readonly durationMs: number;
  /** Time spent waiting on the client-side rate limiter; omitted: not observed. */
  readonly waitedMs?: number;
}

/** Where one resource's watch cache reports (labels `resource`). */
export interface CacheMetrics {
  /** Objects now in the store: `pgop_cache_objects`. */
  objects(n: number): void;
  /** A full list was made: `pgop_cache_relists_total`. */
  relist(): void;
  /** A watch was resumed from the last resourceVersion: `pgop_cache_watch_restarts_total`. */
  watchRestart(): void;
  /** A list completed at wall-clock `wallMs` (epoch ms): `pgop_cache_last_sync_timestamp_seconds`. */
  synced(wallMs: number): void;
  /** A watch event of `type` ("ADDED", "MODIFIED", "DELETED", "BOOKMARK") arrived. */
  event(type: string): void;
}

/** Options of {@link PgopMetrics}. */
export interface PgopMetricsOptions {
  /** Drives the event-loop-lag probe; the real clock by default. */
  readonly clock?: Clock;
}

/**
 * All of pgop's metrics on a private registry. The constructor does no I/O
 * and starts no timer; {@link startRuntimeProbes} starts the only one.
 * Every reconcile `result` label is present at zero from the start, so a
 * scrape shows the full set before the first reconcile.
 */
export class PgopMetrics implements WorkQueueMetricsProvider {
  /** The registry holding every metric below; exposed for tests and extra collectors. */
  readonly registry: Registry = new Registry();
  readonly #registers = [this.registry];
  readonly #lag: EventLoopLagProbe;
  readonly #queues = new WorkQueueMetricSet(this.registry);
  #phaseCounter: (() => Readonly<Record<string, number>>) | undefined;

  readonly #reconcileDuration = new Histogram({
    ...N.RECONCILE_DURATION,
    labelNames: ["result"] as const,
    buckets: [...N.RECONCILE_BUCKETS],
    registers: this.#registers,
  });
  readonly #reconcileTotal = new Counter({
    ...N.RECONCILE_TOTAL,
    labelNames: ["result"] as const,
    registers: this.#registers,
  });
  readonly #reconcileDepth = new Gauge({ ...N.RECONCILE_QUEUE_DEPTH, registers: this.#registers });
  readonly #failovers = new Counter({ ...N.FAILOVERS_TOTAL, registers: this.#registers });

  readonly #restRequests = new Counter({
    ...N.REST_REQUESTS,
    labelNames: ["code", "method", "resource"] as const,
    registers: this.#registers,
  });
  readonly #restDuration = new Histogram({
    ...N.REST_REQUEST_DURATION,
    labelNames: ["verb", "resource"] as const,
    buckets: [...N.REST_BUCKETS],
    registers: this.#registers,
  });
  readonly #restWaited = new Histogram({
    ...N.REST_RATE_LIMITER_DURATION,
    labelNames: ["verb"] as const,
    buckets: [...N.REST_BUCKETS],
    registers: this.#registers,
  });

  readonly #cacheObjects = new Gauge({
    ...N.CACHE_OBJECTS,
    labelNames: ["resource"] as const,
    registers: this.#registers,
  });
  readonly #cacheRelists = new Counter({
    ...N.CACHE_RELISTS,
    labelNames: ["resource"] as const,
    registers: this.#registers,
  });
  readonly #cacheRestarts = new Counter({
    ...N.CACHE_WATCH_RESTARTS,
    labelNames: ["resource"] as const,
    registers: this.#registers,
  });
  readonly #cacheLastSync = new Gauge({
    ...N.CACHE_LAST_SYNC,
    labelNames: ["resource"] as const,
    registers: this.#registers,
  });
  readonly #cacheEvents = new Counter({
    ...N.CACHE_EVENTS,
    labelNames: ["resource", "type"] as const,
    registers: this.#registers,
  });

  readonly #lagLooks = new Counter({
    ...N.LAG_LOOKS,
    labelNames: ["result"] as const,
    registers: this.#registers,
  });

  readonly #leader = new Gauge({
    ...N.LEADER_STATUS,
    labelNames: ["name"] as const,
    registers: this.#registers,
  });

  constructor(options: PgopMetricsOptions = {}) {
    for (const result of N.RECONCILE_RESULTS) {
      this.#reconcileDuration.zero({ result });
      this.#reconcileTotal.inc({ result }, 0);
    }
    for (const result of N.LAG_LOOK_RESULTS) this.#lagLooks.inc({ result }, 0);
    const phases = () => this.#phaseCounter;
    new Gauge({
      ...N.DATABASES,
      labelNames: ["phase"] as const,
      registers: this.#registers,
      collect() {
        const count = phases();
        if (!count) return;
        const current = count();
        this.reset();
        for (const [phase, n] of Object.entries(current)) this.set({ phase }, n);
      },
    });
    this.#lag = new EventLoopLagProbe({ clock: options.clock });
    registerRuntimeMetrics(this.registry, this.#lag);
  }

  /** The exposition's `Content-Type` (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The Prometheus text exposition of every metric, collecting the scrape-time
   * values (phase counts, queue gauges, process metrics) first. Rejects if a
   * collect callback (e.g. the phase counter) throws.
   */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Records one reconcile: `database_reconcile_total{result}` and
   * `database_reconcile_duration_seconds{result}`.
   * @throws {RangeError} on an unknown result or a negative or non-finite duration
   */
  observeReconcile(result: N.ReconcileResult, seconds: number): void {
    if (!(N.RECONCILE_RESULTS as readonly string[]).includes(result)) {
      throw new RangeError(`Unknown reconcile result "${String(result)}"`);
    }
    checkAmount("Reconcile duration", seconds);
    this.#reconcileTotal.inc({ result });
    this.#reconcileDuration.observe({ result }, seconds);
  }

  /** Sets `database_reconcile_queue_depth`. */
  setReconcileQueueDepth(n: number): void {
    this.#reconcileDepth.set(n);
  }

  /** See {@link WorkQueueMetricSet.forQueue}: pass this object as a queue's `metrics` option. */
  forQueue(probe: WorkQueueProbe): WorkQueueMetrics {
    return this.#queues.forQueue(probe);
  }

  /**
   * Records one API request. Names follow client-go, with documented
   * differences: `rest_client_requests_total` is labelled
   * `{code, method, resource}` where `method` holds the client-go verb (not
   * the HTTP method) and `host` is dropped (pgop talks to one API server);
   * the latency histograms carry `verb` (and `resource`) instead of `url`.
   * This method's shape is the REST client's `onRequest` hook.
   * @throws {RangeError} on a negative or non-finite duration or wait
   */
  observeRequest(request: RequestObservation): void {
    const { verb, resource, code, durationMs, waitedMs } = request;
    checkAmount("Request duration", durationMs);
    if (waitedMs !== undefined) checkAmount("Rate-limiter wait", waitedMs);
    this.#restRequests.inc({ code: String(code), method: verb, resource });
    this.#restDuration.observe({ verb, resource }, durationMs / 1000);
    if (waitedMs !== undefined) this.#restWaited.observe({ verb }, waitedMs / 1000);
  }

  /**
   * The watch-cache metrics of one resource (label `resource`, e.g.
   * "statefulsets.apps"); its object, relist and restart series are present
   * at zero from now on.
   */
  forCache(resource: string): CacheMetrics {
    const objects = this.#cacheObjects.labels({ resource });
    const relists = this.#cacheRelists.labels({ resource });
    const restarts = this.#cacheRestarts.labels({ resource });
    const lastSync = this.#cacheLastSync.labels({ resource });
    const events = this.#cacheEvents;
    objects.set(0);
    relists.inc(0);
    restarts.inc(0);
    return {
      objects: (n) => objects.set(n),
      relist: () => relists.inc(),
      watchRestart: () => restarts.inc(),
      synced: (wallMs) => lastSync.set(wallMs / 1000),
      event: (type) => events.inc({ resource, type }),
    };
  }

  /** Counts one look at a primary's replication: `pgop_replication_lag_looks_total{result}`. */
  observeLagLook(result: typeof N.LAG_LOOK_RESULTS[number]): void {
    this.#lagLooks.inc({ result });
  }

  /** Sets `leader_election_master_status{name}` to 1 while leading, else 0. */
  setLeader(name: string, leading: boolean): void {
    this.#leader.set({ name }, leading ? 1 : 0);
  }

  /** Counts one automated fail-over (`database_failovers_total`). */
  observeFailover(): void {
    this.#failovers.inc();
  }

  /**
   * Sets the source of `pgop_databases{phase}`, called at every scrape. The
   * returned phases replace the previous ones (return every phase, zeros
   * included, to keep all series present).
   */
  setPhaseCounter(count: () => Readonly<Record<string, number>>): void {
    this.#phaseCounter = count;
  }

  /** Starts the event-loop-lag probe (one timer) until `signal` aborts; ignored while running. */
  startRuntimeProbes(signal: AbortSignal): void {
    this.#lag.start(signal);
  }

  /** The current event-loop lag in seconds (see {@link EventLoopLagProbe.lagMs}); for liveness. */
  eventLoopLagSeconds(): number {
    return this.#lag.lagMs() / 1000;
  }
}

function checkAmount(what: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative number, got ${value}`);
  }
}
