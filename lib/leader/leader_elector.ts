/**
 * Leader election over a Lease (client-go's `leaderelection.LeaderElector`
 * with a `LeaseLock`): of the processes running a {@link LeaderElector} on the
 * same Lease, at most one leads at a time, as long as the holder's renewals
 * reach the API server and clocks tick at about the same rate.
 *
 * Clock-skew safety: a lease is judged expired only by the local monotonic
 * clock, `leaseDurationSeconds` after this process last *observed a change*
 * of the lease record; the `renewTime` written by another host is never
 * compared with the local wall clock.
 *
 * @module
 */
import { sleepUnlessAborted } from "../clock.ts";
import { isConflict, isNotFound } from "../kube/errors.ts";
import {
  JITTER_FACTOR,
  type Lead,
  type LeaderElectorOptions,
  type LeaderMetrics,
  LeadershipLostError,
  type ResolvedOptions,
  resolveOptions,
} from "./elector_options.ts";
import {
  claimRecord,
  type LeaderElectionRecord,
  LeaseLock,
  type ObservedLease,
  releasedRecord,
} from "./lease_lock.ts";
import { LeaseObservation } from "./lease_observation.ts";

/** Campaigns for a Lease and leads while it holds it; {@link run} does the work, not the constructor. */
export class LeaderElector {
  readonly #lock: LeaseLock;
  readonly #o: ResolvedOptions;
  readonly #metrics: LeaderMetrics | undefined;
  readonly #onNewLeader: ((identity: string) => void) | undefined;
  readonly #lease: LeaseObservation;
  /** Monotonic time at which the last successful acquire or renew request was sent. */
  #renewedAt = 0;
  #reportedLeader = "";
  #leadership: AbortController | undefined;
  #running = false;

  /** @throws {RangeError} for empty names or identity, or durations out of order (see the options) */
  constructor(options: LeaderElectorOptions) {
    const o = resolveOptions(options);
    this.#lock = new LeaseLock(options.client, { namespace: o.namespace, name: o.name });
    this.#o = o;
    this.#lease = new LeaseObservation(o.clock);
    this.#metrics = options.metrics;
    this.#onNewLeader = options.onNewLeader;
  }

  /** This candidate's identity. */
  get identity(): string {
    return this.#o.identity;
  }

  /** True from acquisition until the leading signal aborts. */
  isLeader(): boolean {
    return this.#leadership !== undefined;
  }

  /**
   * The write fence: true while this process leads and its last successful
   * renewal was sent less than `renewDeadlineMs` ago by the local monotonic
   * clock. Past that it steps down on the spot (the leading signal aborts, as
   * when the renew deadline passes) and returns false.
   *
   * Call it right before every write made as the leader. The renew-deadline
   * timer alone cannot stop a process that was paused (SIGSTOP, a frozen VM, a
   * long GC pause) in time: on resume, I/O that completed during the pause
   * (watch events, responses) is handled before overdue timers, so reconciles
   * would write before any timer ran. A standby takes over no sooner than
   * `leaseDurationMs` (> `renewDeadlineMs`) after it saw that renewal, so a
   * write this allows cannot fall into another leader's term as long as it
   * reaches the API server within `leaseDurationMs − renewDeadlineMs` and the
   * clocks tick at about the same rate.
   */
  holdsLease(): boolean {
    if (!this.#leadership) return false;
    const sinceMs = this.#o.clock.now() - this.#renewedAt;
    if (sinceMs < this.#o.renewDeadlineMs) return true;
    this.#stepDown(
      new LeadershipLostError(
        `Lease "${this.#lock.describe()}" last renewed ${
          Math.round(sinceMs)
        } ms ago, past the renew deadline of ${this.#o.renewDeadlineMs} ms`,
      ),
    );
    return false;
  }

  /** The holder last observed in the Lease; "" when none (or not read yet). */
  getLeader(): string {
    return this.#lease.holder;
  }

  /**
   * Tries to acquire the lease every retry period (with jitter) until it does
   * or `signal` aborts; then leads, renewing every retry period, until a
   * renewal round fails for `renewDeadlineMs`, another holder is observed, or
   * `signal` aborts. Resolves when leadership has ended and the lease was
   * released (with `releaseOnCancel`), or when `signal` aborted while a
   * candidate; API errors are logged and retried, never thrown. Call again to
   * stand again. `lead`, when given, leads this term in place of
   * `onStartedLeading` (the manager's `Election`: one elector serves every term).
   * @throws {Error} (rejects) only when this elector is already running
   */
  async run(signal: AbortSignal, lead: Lead = this.#o.onStartedLeading): Promise<void> {
    if (this.#running) {
      throw new Error(`LeaderElector for "${this.#lock.describe()}" is already running`);
    }
    this.#running = true;
    try {
      this.#metrics?.leaderOff(this.#o.name);
      if (!(await this.#acquire(signal))) return;
      if (!signal.aborted) await this.#lead(signal, lead);
      else if (this.#o.releaseOnCancel) await this.#release();
    } finally {
      this.#running = false;
    }
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    const { clock, retryPeriodMs, random } = this.#o;
    for (;;) {
      if (signal.aborted) return false;
      const acquired = await this.#tryAcquireOrRenew(signal);
      this.#reportLeader();
      if (acquired) return true;
      const wait = retryPeriodMs * (1 + random() * JITTER_FACTOR);
      if (!(await sleepUnlessAborted(clock, wait, signal))) return false;
    }
  }

  async #lead(signal: AbortSignal, lead: Lead): Promise<void> {
    const leadership = new AbortController();
    this.#leadership = leadership;
    this.#metrics?.leaderOn(this.#o.name);
    this.#o.logger.info("Became leader of lease {lease} as {identity}", this.#props());
    let started: Promise<unknown>;
    try {
      started = Promise.resolve(lead(leadership.signal));
    } catch (error) {
      started = Promise.reject(error);
    }
    const stopped = started.catch((error) =>
      this.#o.logger.warn("onStartedLeading failed for lease {lease}", this.#props({ error }))
    );
    while (await sleepUnlessAborted(this.#o.clock, this.#o.retryPeriodMs, signal)) {
      if (!(await this.#renewRound(signal))) break;
    }
    this.#stepDown(signal.reason);
    await stopped;
    if (this.#o.releaseOnCancel) await this.#release();
  }

  /** One renewal round: true once renewed; false when leadership ended or `signal` aborted. */
  async #renewRound(signal: AbortSignal): Promise<boolean> {
    const { clock, renewDeadlineMs, retryPeriodMs, identity } = this.#o;
    const round = new AbortController();
    // Fires even while a request hangs: the controllers must stop at the deadline, not later.
    const deadline = clock.setTimer(() => {
      this.#stepDown(
        new LeadershipLostError(
          `Lease "${this.#lock.describe()}" not renewed within ${renewDeadlineMs} ms`,
        ),
      );
      round.abort(new LeadershipLostError("Renew deadline exceeded"));
    }, renewDeadlineMs);
    const onAbort = () => round.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        // Also ends a round when holdsLease() stepped down in between.
        if (round.signal.aborted || !this.#leadership) return false;
        const renewed = await this.#tryAcquireOrRenew(round.signal);
        this.#reportLeader();
        if (!this.#leadership) return false;
        if (renewed) return true;
        const holder = this.getLeader();
        if (holder !== "" && holder !== identity) {
          this.#stepDown(
            new LeadershipLostError(`Lease "${this.#lock.describe()}" is held by "${holder}"`),
          );
          return false;
        }
        if (!(await sleepUnlessAborted(clock, retryPeriodMs, round.signal))) return false;
      }
    } finally {
      deadline.cancel();
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** client-go's `tryAcquireOrRenew`: true when this process holds the lease afterwards. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const held = this.#lease.current;
    // Fast path: the leader renews with one PUT on the Lease it last wrote.
    if (held && held.record.holderIdentity === this.#o.identity && this.#lease.valid()) {
      const renewal = this.#claim(held.record);
      if (await this.#write(() => this.#lock.update(held.object, renewal, signal), signal)) {
        return true;
      }
      if (signal.aborted) return false;
    }
    let current: ObservedLease;
    try {
      current = await this.#lock.get(signal);
    } catch (error) {
      if (isNotFound(error)) {
        return await this.#write(() => this.#lock.create(this.#claim(undefined), signal), signal);
      }
      this.#failed("read", error, signal);
      return false;
    }
    this.#lease.observe(current, false);
    const holder = current.record.holderIdentity;
    if (holder !== "" && holder !== this.#o.identity && this.#lease.valid()) return false;
    const claim = this.#claim(current.record);
    return await this.#write(() => this.#lock.update(current.object, claim, signal), signal);
  }

  #claim(current: LeaderElectionRecord | undefined): LeaderElectionRecord {
    return claimRecord(current, this.#o.identity, this.#o.leaseDurationMs, this.#o.clock.wallNow());
  }
  async #write(request: () => Promise<ObservedLease>, signal: AbortSignal): Promise<boolean> {
    const sent = this.#o.clock.now();
    try {
      this.#lease.observe(await request(), true);
      this.#renewedAt = sent;
      return true;
    } catch (error) {
      this.#failed("write", error, signal);
      return false;
    }
  }

  /** client-go's `release`: hands the lease back if the last observed record still names us. */
  async #release(): Promise<void> {
    const held = this.#lease.current;
    if (!held || held.record.holderIdentity !== this.#o.identity) return;
    const timeout = new AbortController();
    const timer = this.#o.clock.setTimer(() => timeout.abort(), this.#o.renewDeadlineMs);
    const record = releasedRecord(held.record, this.#o.clock.wallNow());
    try {
      // The PUT carries the resourceVersion of our last write: if anyone wrote since, it fails (409).
      this.#lease.observe(await this.#lock.update(held.object, record, timeout.signal), true);
      this.#o.logger.info("Released lease {lease}", this.#props());
    } catch (error) {
      const level = isConflict(error) ? "info" : "warn";
      this.#o.logger[level]("Failed to release lease {lease}: {error}", this.#props({ error }));
    } finally {
      timer.cancel();
    }
  }

  /** Ends leadership now (idempotent): aborts the leading signal, then reports. */
  #stepDown(reason: unknown): void {
    const leadership = this.#leadership;
    if (!leadership) return;
    this.#leadership = undefined;
    leadership.abort(reason);
    this.#metrics?.leaderOff(this.#o.name);
    this.#o.logger.info("Stopped leading lease {lease}", this.#props({ reason }));
    try {
      this.#o.onStoppedLeading();
    } catch (error) {
      this.#o.logger.warn("onStoppedLeading failed for lease {lease}", this.#props({ error }));
    }
  }

  #reportLeader(): void {
    const holder = this.getLeader();
    if (holder === "" || holder === this.#reportedLeader) return;
    this.#reportedLeader = holder;
    this.#o.logger.info("Lease {lease} is held by {holder}", this.#props({ holder }));
    try {
      this.#onNewLeader?.(holder);
    } catch (error) {
      this.#o.logger.warn("onNewLeader failed for lease {lease}", this.#props({ error }));
    }
  }

  #failed(action: "read" | "write", error: unknown, signal: AbortSignal): void {
    if (signal.aborted) return; // cancelled or past the deadline: reported by the caller
    const level = isConflict(error) ? "info" : "warn";
    this.#o.logger[level](`Failed to ${action} lease {lease}: {error}`, this.#props({ error }));
  }

  #props(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { lease: this.#lock.describe(), identity: this.#o.identity, ...extra };
  }
}
