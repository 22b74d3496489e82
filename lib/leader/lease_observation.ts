/**
 * What a candidate last saw of the Lease, and when it last saw it change,
 * by the local monotonic clock: the ground of client-go's clock-skew safety
 * (a lease is judged expired `leaseDurationSeconds` after this process last
 * observed a change, never by comparing another host's `renewTime` with the
 * local wall clock).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { type ObservedLease, sameRecord } from "./lease_lock.ts";

/** The last observed Lease and the monotonic time its record last changed. */
export class LeaseObservation {
  readonly #clock: Clock;
  #observed: ObservedLease | undefined;
  #changedAt = 0;

  /** Does no I/O. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The newest Lease object seen (its resourceVersion is the base of the next PUT). */
  get current(): ObservedLease | undefined {
    return this.#observed;
  }

  /** The holder in the last observed record; "" when none (or not read yet). */
  get holder(): string {
    return this.#observed?.record.holderIdentity ?? "";
  }

  /** Records a read (or, `wrote`, our own write, which restarts the lease's time). */
  observe(observed: ObservedLease, wrote: boolean): void {
    const changed = !this.#observed || !sameRecord(this.#observed.record, observed.record);
    this.#observed = observed;
    if (changed || wrote) this.#changedAt = this.#clock.now();
  }

  /** Whether the observed lease has not expired by the local clock. */
  valid(): boolean {
    const observed = this.#observed;
    if (!observed) return false;
    return this.#changedAt + observed.record.leaseDurationSeconds * 1000 > this.#clock.now();
  }
}
