/**
 * The de-duplicating work queue (the model of client-go's `workqueue.Type`):
 * a key waits in the queue at most once, is handed to at most one worker at a
 * time, and a key added while a worker holds it runs exactly once more after
 * {@link WorkQueue.done}. Keys carry a priority ("high" before "normal").
 *
 * @module
 */
import { type Clock, realClock } from "../clock.ts";
import {
  NO_METRICS,
  type WorkQueueMetrics,
  type WorkQueueMetricsProvider,
  type WorkQueueProbe,
} from "./queue_metrics.ts";

/** How urgently a key is wanted; "high" keys are all served before any "normal" key. */
export type WorkQueuePriority = "high" | "normal";

/** Options of {@link WorkQueue.add}. */
export interface AddOptions {
  /** Default "normal". Adding a waiting key with a higher priority promotes it. */
  readonly priority?: WorkQueuePriority;
}

/** A de-duplicating, priority-aware queue of keys shared by workers. */
export interface WorkQueue<K extends string> {
  /**
   * Marks `key` as needing work. A key already waiting is not queued twice (but
   * is promoted when `priority` is higher); a key being processed is queued
   * again once its worker calls {@link done}. Ignored after shut-down.
   */
  add(key: K, options?: AddOptions): void;
  /**
   * Waits for a key and hands it to the caller, who must call {@link done}
   * with it. Resolves `undefined` (never rejects) once the queue is shut down
   * or `signal` aborts: the caller should stop working.
   */
  get(signal?: AbortSignal): Promise<K | undefined>;
  /** Ends processing of `key`; re-queues it if it was added meanwhile. Unknown keys are ignored. */
  done(key: K): void;
  /** Keys ready to be handed out (not counting keys being processed). */
  readonly len: number;
  /**
   * Stops the queue: later adds are ignored, waiting keys are dropped and every
   * pending and future {@link get} resolves `undefined`. Idempotent.
   */
  shutDown(): void;
  /**
   * {@link shutDown}, then resolves once every key being processed is done.
   * Rejects with the signal's reason if `signal` aborts first.
   */
  shutDownWithDrain(signal?: AbortSignal): Promise<void>;
  /** True once {@link shutDown} was called. */
  readonly shuttingDown: boolean;
}

/** Options of {@link FifoWorkQueue} and the queues built on it. */
export interface WorkQueueOptions {
  /** The queue's name for metrics and logs; required (non-empty) when `metrics` is given. */
  readonly name?: string;
  readonly clock?: Clock;
  readonly metrics?: WorkQueueMetricsProvider;
}

/** Index into the per-priority FIFOs: lower is served first. */
const LEVEL: Readonly<Record<WorkQueuePriority, number>> = { high: 0, normal: 1 };

/** A waiting key. A FIFO slot is live only while `#dirty` maps its key to this very entry. */
interface Entry<K> {
  readonly key: K;
  readonly level: number;
  /** When the key started waiting, for the queue-latency metric. */
  readonly since: number;
}

/**
 * The {@link WorkQueue} implementation: one FIFO per priority, served high
 * first and in insertion order within a priority. `add`, `get` and `done` are
 * O(1) amortised (a promoted key leaves a stale slot behind, skipped later).
 */
export class FifoWorkQueue<K extends string> implements WorkQueue<K>, WorkQueueProbe {
  readonly name: string;
  /** The sinks this queue reports to (no-ops without a provider); for layered queues. */
  protected readonly metrics: WorkQueueMetrics;
  readonly #clock: Clock;
  /** Keys needing work: queued, or to be queued when their current run is done. */
  readonly #dirty = new Map<K, Entry<K>>();
  /** Keys handed to a worker, with the time they were handed out. */
  readonly #processing = new Map<K, number>();
  readonly #fifos: readonly Fifo<Entry<K>>[] = [new Fifo(), new Fifo()];
  readonly #waiters = new Set<(key: K | undefined) => void>();
  readonly #drainers = new Set<() => void>();
  #len = 0;
  #shuttingDown = false;

  /** @throws {RangeError} when `metrics` is given without a `name` */
  constructor(options: WorkQueueOptions = {}) {
    this.name = options.name ?? "";
    if (options.metrics && this.name === "") {
      throw new RangeError("A work queue with metrics needs a non-empty name");
    }
    this.#clock = options.clock ?? realClock;
    this.metrics = options.metrics?.forQueue(this) ?? NO_METRICS;
  }

  get len(): number {
    return this.#len;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** @throws {RangeError} on an unknown priority */
  add(key: K, options?: AddOptions): void {
    const level = levelOf(options?.priority);
    if (this.#shuttingDown) return;
    const waiting = this.#dirty.get(key);
    if (waiting) {
      if (level >= waiting.level) return;
      // Promotion: the old slot goes stale; the key keeps its original waiting time.
      const promoted = { key, level, since: waiting.since };
      this.#dirty.set(key, promoted);
      if (!this.#processing.has(key)) this.#fifos[level].push(promoted);
      return;
    }
    const entry = { key, level, since: this.#clock.now() };
    this.#dirty.set(key, entry);
    this.metrics.add(key);
    this.metrics.depth(this.#dirty.size);
    if (this.#processing.has(key)) return;
    this.#enqueue(entry);
  }

  get(signal?: AbortSignal): Promise<K | undefined> {
    if (this.#shuttingDown || signal?.aborted) return Promise.resolve(undefined);
    // Waiters exist only while nothing is queued, so taking directly never jumps the line.
    const key = this.#take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.#waiters.delete(waiter);
        resolve(undefined);
      };
      const waiter = (key: K | undefined) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(key);
      };
      this.#waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  done(key: K): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.metrics.done(key, this.#clock.now() - started);
    const again = this.#dirty.get(key);
    if (again) this.#enqueue(again);
    if (this.#processing.size === 0) {
      for (const drained of this.#drainers) drained();
      this.#drainers.clear();
    }
  }

  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const fifo of this.#fifos) fifo.clear();
    this.#dirty.clear();
    this.#len = 0;
    this.metrics.depth(0);
    for (const waiter of this.#waiters) waiter(undefined);
    this.#waiters.clear();
  }

  shutDownWithDrain(signal?: AbortSignal): Promise<void> {
    this.shutDown();
    if (this.#processing.size === 0) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#drainers.delete(drained);
        reject(signal?.reason);
      };
      const drained = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      this.#drainers.add(drained);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  unfinishedWorkMs(): number {
    const now = this.#clock.now();
    let total = 0;
    for (const started of this.#processing.values()) total += now - started;
    return total;
  }

  longestRunningMs(): number {
    const now = this.#clock.now();
    let longest = 0;
    for (const started of this.#processing.values()) longest = Math.max(longest, now - started);
    return longest;
  }

  #enqueue(entry: Entry<K>): void {
    this.#fifos[entry.level].push(entry);
    this.#len++;
    for (const waiter of this.#waiters) {
      const key = this.#take();
      if (key === undefined) break;
      this.#waiters.delete(waiter);
      waiter(key);
    }
  }

  /** Moves the next live key from the queue to `#processing`. */
  #take(): K | undefined {
    for (const fifo of this.#fifos) {
      for (let entry = fifo.shift(); entry; entry = fifo.shift()) {
        if (this.#dirty.get(entry.key) !== entry) continue;
        this.#dirty.delete(entry.key);
        this.#len--;
        const now = this.#clock.now();
        this.#processing.set(entry.key, now);
        this.metrics.get(entry.key, now - entry.since);
        this.metrics.depth(this.#dirty.size);
        return entry.key;
      }
    }
    return undefined;
  }
}

function levelOf(priority: WorkQueuePriority | undefined): number {
  if (priority === undefined) return LEVEL.normal;
  const level = LEVEL[priority];
  if (level === undefined) throw new RangeError(`Unknown priority "${String(priority)}"`);
  return level;
}

/** An array FIFO with a moving head: O(1) amortised shift, compacted once half is consumed. */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
