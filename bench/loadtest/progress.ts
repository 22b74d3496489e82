/**
 * The load test's progress display: on a terminal one line redrawn in place
 * (`\r`, no dependency); otherwise a plain line every few seconds, fit for CI
 * logs.
 *
 * @module
 */
import { type Clock, realClock, type Timer } from "../../lib/clock.ts";

/** What the display shows. */
export interface ProgressState {
  readonly total: number;
  readonly created: number;
  /** Databases with a status (reconciled at least once). */
  readonly reconciled: number;
  readonly ready: number;
  /** Since creation started. */
  readonly elapsedMs: number;
  /** Overrides the counts with a note, e.g. "steady state 5/10 s". */
  readonly note?: string;
}

/** Ready per second over the recent window, or 0 before there is one. */
export function readyRate(history: readonly { t: number; ready: number }[]): number {
  if (history.length < 2) return 0;
  const first = history[0];
  const last = history[history.length - 1];
  const dt = (last.t - first.t) / 1000;
  return dt > 0 ? (last.ready - first.ready) / dt : 0;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/**
 * One progress line: a bar of Ready out of total (`=` Ready, `-` reconciled,
 * `.` created), the counts, the Ready rate and the ETA at that rate.
 */
export function formatProgress(state: ProgressState, rate: number, barWidth = 24): string {
  const { total, created, reconciled, ready } = state;
  const cells = (n: number) => Math.round((Math.min(n, total) / Math.max(1, total)) * barWidth);
  const r = cells(ready);
  const c = Math.max(r, cells(reconciled));
  const k = Math.max(c, cells(created));
  const bar = "=".repeat(r) + "-".repeat(c - r) + ".".repeat(k - c) + " ".repeat(barWidth - k);
  const eta = ready >= total
    ? "done"
    : rate > 0
    ? `ETA ${seconds((total - ready) / rate * 1000)}`
    : "ETA ?";
  const head = `[${bar}] ${seconds(state.elapsedMs).padStart(6)}`;
  if (state.note) return `${head}  ${state.note}`;
  return `${head}  created ${created}/${total}  reconciled ${reconciled}  Ready ${ready}  ` +
    `${rate.toFixed(1)}/s  ${eta}`;
}

/** Options of {@link ProgressDisplay}. */
export interface ProgressDisplayOptions {
  /** Redraw one line in place (default `Deno.stderr.isTerminal()`). */
  readonly tty?: boolean;
  /** Where text goes (default stderr). */
  readonly write?: (text: string) => void;
  readonly clock?: Clock;
  /** Between redraws on a terminal (default 200 ms) and lines otherwise (default 5 s). */
  readonly intervalMs?: number;
}

const encoder = new TextEncoder();
/** Seconds of history the rate is computed over. */
const RATE_WINDOW_MS = 5_000;

/** Shows {@link ProgressState}s from a callback until stopped. */
export class ProgressDisplay {
  readonly #tty: boolean;
  readonly #write: (text: string) => void;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  #timer: Timer | undefined;
  #history: { t: number; ready: number }[] = [];
  #state: () => ProgressState = () => ({
    total: 0,
    created: 0,
    reconciled: 0,
    ready: 0,
    elapsedMs: 0,
  });

  /** Starts nothing. */
  constructor(options: ProgressDisplayOptions = {}) {
    this.#tty = options.tty ?? Deno.stderr.isTerminal();
    this.#write = options.write ?? ((text) => Deno.stderr.writeSync(encoder.encode(text)));
    this.#clock = options.clock ?? realClock;
    this.#intervalMs = options.intervalMs ?? (this.#tty ? 200 : 5_000);
  }

  /** Starts showing `state()` every interval (replacing an earlier source). */
  start(state: () => ProgressState): void {
    this.#state = state;
    if (this.#timer) return;
    const tick = () => {
      this.#draw();
      this.#timer = this.#clock.setTimer(tick, this.#intervalMs);
    };
    this.#timer = this.#clock.setTimer(tick, this.#intervalMs);
  }

  /** Draws a last time and stops; on a terminal ends the line. Idempotent. */
  stop(): void {
    if (!this.#timer) return;
    this.#timer.cancel();
    this.#timer = undefined;
    this.#draw();
    if (this.#tty) this.#write("\n");
  }

  /** Writes a message on its own line without garbling the progress line. */
  log(message: string): void {
    this.#write(this.#tty && this.#timer ? `\r\x1b[K${message}\n` : `${message}\n`);
    if (this.#tty && this.#timer) this.#draw();
  }

  #draw(): void {
    const state = this.#state();
    const t = this.#clock.now();
    this.#history.push({ t, ready: state.ready });
    while (this.#history.length > 2 && t - this.#history[0].t > RATE_WINDOW_MS) {
      this.#history.shift();
    }
    const line = formatProgress(state, readyRate(this.#history));
    this.#write(this.#tty ? `\r\x1b[K${line}` : `${line}\n`);
  }
}
