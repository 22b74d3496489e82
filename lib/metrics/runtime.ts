/**
 * Process and runtime metrics for Deno. prom-client's `collectDefaultMetrics()`
 * reports zeros here, so pgop reads memory from `Deno.memoryUsage()`, CPU time
 * from `process.cpuUsage()` (no permission needed, every OS) and measures
 * event-loop lag with its own timer.
 *
 * @module
 */
import process from "node:process";
import { Counter, Gauge, type Registry } from "prom-client";
import { type Clock, realClock, type Timer } from "../clock.ts";
import {
  EVENT_LOOP_LAG,
  HEAP_TOTAL,
  HEAP_USED,
  PROCESS_CPU_SECONDS,
  PROCESS_RESIDENT_MEMORY,
  PROCESS_START_TIME,
} from "./names.ts";

/**
 * How often the lag probe's timer fires. Often enough that a stall shows up
 * within a second; rare enough to cost nothing (two timers a second).
 */
export const LAG_PROBE_INTERVAL_MS = 500;

/** Options of {@link EventLoopLagProbe}. */
export interface EventLoopLagProbeOptions {
  readonly clock?: Clock;
  /** Milliseconds between probe timers; default {@link LAG_PROBE_INTERVAL_MS}. */
  readonly intervalMs?: number;
}

/**
 * Measures event-loop lag: a timer that fires every `intervalMs` and records
 * how late it fired. The timer runs only between {@link start} and the abort
 * of its signal, so tests (and their sanitizers) see no leaked timer.
 */
export class EventLoopLagProbe {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  #lastLagMs = 0;
  /** When the running timer is due; undefined while stopped. */
  #due: number | undefined;
  #timer: Timer | undefined;

  /** @throws {RangeError} when `intervalMs` is not a positive finite number */
  constructor(options: EventLoopLagProbeOptions = {}) {
    const intervalMs = options.intervalMs ?? LAG_PROBE_INTERVAL_MS;
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new RangeError(`Probe interval must be positive, got ${intervalMs}`);
    }
    this.#clock = options.clock ?? realClock;
    this.#intervalMs = intervalMs;
  }

  /** True between {@link start} and the abort of its signal. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Starts the probe until `signal` aborts. Ignored while already running or
   * when `signal` is already aborted.
   */
  start(signal: AbortSignal): void {
    if (this.running || signal.aborted) return;
    this.#schedule();
    signal.addEventListener("abort", () => {
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#due = undefined;
    }, { once: true });
  }

  /**
   * The current lag in milliseconds: how late the last timer fired, or, if the
   * running timer is already overdue, how overdue it is (so a loop that is
   * stalled right now is not reported as healthy). 0 before the first
   * measurement; the last measurement once stopped.
   */
  lagMs(): number {
    const overdue = this.#due === undefined ? 0 : this.#clock.now() - this.#due;
    return Math.max(this.#lastLagMs, overdue);
  }

  #schedule(): void {
    const due = this.#clock.now() + this.#intervalMs;
    this.#due = due;
    this.#timer = this.#clock.setTimer(() => {
      this.#lastLagMs = Math.max(0, this.#clock.now() - due);
      this.#schedule();
    }, this.#intervalMs);
  }
}

/**
 * Registers the process metrics (`process_resident_memory_bytes`,
 * `process_cpu_seconds_total`, `process_start_time_seconds`, the V8 heap
 * gauges and `pgop_event_loop_lag_seconds` read from `probe`) on `registry`.
 * Values are read at scrape time; nothing runs in between.
 */
export function registerRuntimeMetrics(registry: Registry, probe: EventLoopLagProbe): void {
  const registers = [registry];
  new Gauge({
    ...PROCESS_RESIDENT_MEMORY,
    registers,
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
  new Gauge({
    ...HEAP_USED,
    registers,
    collect() {
      this.set(Deno.memoryUsage().heapUsed);
    },
  });
  new Gauge({
    ...HEAP_TOTAL,
    registers,
    collect() {
      this.set(Deno.memoryUsage().heapTotal);
    },
  });
  new Counter({
    ...PROCESS_CPU_SECONDS,
    registers,
    collect() {
      // A counter has no set(); the value is the process total, read fresh.
      const { user, system } = process.cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  const startSeconds = performance.timeOrigin / 1000;
  new Gauge({
    ...PROCESS_START_TIME,
    registers,
    collect() {
      this.set(startSeconds);
    },
  });
  new Gauge({
    ...EVENT_LOOP_LAG,
    registers,
    collect() {
      this.set(probe.lagMs() / 1000);
    },
  });
}
