/**
 * A work queue that can add a key later (the model of client-go's
 * `DelayingInterface`): keys wait in a min-heap of due times and one clock
 * timer is armed for the earliest of them.
 *
 * @module
 */
import { type Clock, realClock, type Timer } from "../clock.ts";
import {
  type AddOptions,
  FifoWorkQueue,
  type WorkQueue,
  type WorkQueueOptions,
  type WorkQueuePriority,
} from "./work_queue.ts";

/** A {@link WorkQueue} that can also add keys after a delay. */
export interface DelayingWorkQueue<K extends string> extends WorkQueue<K> {
  /**
   * Adds `key` once `ms` milliseconds have passed (at once when `ms <= 0`).
   * A key already waiting for its time keeps the earlier of the two times (a
   * later time is ignored, as in client-go) and the higher priority. Ignored
   * after shut-down.
   *
   * @throws {RangeError} when `ms` is not a finite number or the priority is unknown
   */
  addAfter(key: K, ms: number, options?: AddOptions): void;
}

interface Delayed<K> {
  readonly key: K;
  at: number;
  priority: WorkQueuePriority;
  /** Insertion order, so keys due at the same time are added first-come first-served. */
  readonly seq: number;
  /** Position in the heap array. */
  index: number;
}

/**
 * The {@link DelayingWorkQueue} implementation on top of {@link FifoWorkQueue}.
 * Each `addAfter` counts as a retry in the queue's metrics. Shut-down cancels
 * the timer and drops keys still waiting for their time.
 */
export class DelayingQueue<K extends string> extends FifoWorkQueue<K>
  implements DelayingWorkQueue<K> {
  readonly #clock: Clock;
  readonly #heap: Delayed<K>[] = [];
  readonly #byKey = new Map<K, Delayed<K>>();
  #seq = 0;
  #timer: Timer | undefined;
  #timerAt = Infinity;

  /** @throws {RangeError} as {@link FifoWorkQueue} */
  constructor(options: WorkQueueOptions = {}) {
    super(options);
    this.#clock = options.clock ?? realClock;
  }

  /** Keys waiting for their time (not yet in {@link len}). */
  get delayed(): number {
    return this.#heap.length;
  }

  addAfter(key: K, ms: number, options?: AddOptions): void {
    if (!Number.isFinite(ms)) throw new RangeError(`Delay must be a finite number, got ${ms}`);
    const priority = options?.priority ?? "normal";
    if (priority !== "high" && priority !== "normal") {
      throw new RangeError(`Unknown priority "${String(priority)}"`);
    }
    if (this.shuttingDown) return;
    this.metrics.retry(key);
    if (ms <= 0) {
      this.add(key, options);
      return;
    }
    const at = this.#clock.now() + ms;
    const existing = this.#byKey.get(key);
    if (existing) {
      if (priority === "high") existing.priority = "high";
      if (at >= existing.at) return;
      existing.at = at;
      this.#siftUp(existing.index);
    } else {
      const delayed = { key, at, priority, seq: this.#seq++, index: this.#heap.length };
      this.#heap.push(delayed);
      this.#byKey.set(key, delayed);
      this.#siftUp(delayed.index);
    }
    this.#arm();
  }

  override shutDown(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#heap.length = 0;
    this.#byKey.clear();
    super.shutDown();
  }

  /** Keeps exactly one timer, due when the earliest key is. */
  #arm(): void {
    const first = this.#heap[0];
    const at = first?.at ?? Infinity;
    if (at === this.#timerAt) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = at;
    if (first) this.#timer = this.#clock.setTimer(this.#fire, at - this.#clock.now());
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    // A timer may fire a little early on a real clock; #arm then waits out the rest.
    for (let first = this.#heap[0]; first && first.at <= now; first = this.#heap[0]) {
      this.#pop();
      this.add(first.key, { priority: first.priority });
    }
    this.#arm();
  };

  #pop(): void {
    const first = this.#heap[0];
    const last = this.#heap.pop();
    if (!first || !last) return;
    this.#byKey.delete(first.key);
    if (last !== first) {
      this.#place(last, 0);
      this.#siftDown(0);
    }
  }

  #siftUp(index: number): void {
    const item = this.#heap[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.#heap[parentIndex];
      if (!before(item, parent)) break;
      this.#place(parent, index);
      index = parentIndex;
    }
    this.#place(item, index);
  }

  #siftDown(index: number): void {
    const item = this.#heap[index];
    const size = this.#heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && before(this.#heap[right], this.#heap[left]) ? right : left;
      if (!before(this.#heap[child], item)) break;
      this.#place(this.#heap[child], index);
      index = child;
    }
    this.#place(item, index);
  }

  #place(item: Delayed<K>, index: number): void {
    this.#heap[index] = item;
    item.index = index;
  }
}

function before<K>(a: Delayed<K>, b: Delayed<K>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
