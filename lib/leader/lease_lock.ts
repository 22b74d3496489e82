/**
 * The resource lock of leader election (client-go's `resourcelock.LeaseLock`):
 * reads, creates and updates one `coordination.k8s.io/v1` Lease and converts
 * it to and from a {@link LeaderElectionRecord}.
 *
 * The lock holds no state: {@link LeaseLock.update} takes the Lease object the
 * caller last observed and PUTs with its `metadata.resourceVersion`, so a
 * write that raced another writer fails with a 409 Conflict instead of
 * overwriting it.
 *
 * @module
 */
import type { Lease, LeaseSpec } from "kubernetes-types/coordination/v1.d.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeClient } from "../kube/types.ts";

/**
 * What a Lease says about leadership (client-go's `LeaderElectionRecord`).
 * Times are MicroTime strings as stored in the Lease; leader election never
 * compares them with a local clock (see `LeaderElector`).
 */
export interface LeaderElectionRecord {
  /** The leader's identity; "" when nobody holds the lease (never held, or released). */
  readonly holderIdentity: string;
  /** How long, after observing a change, others must wait before taking over. */
  readonly leaseDurationSeconds: number;
  /** When the current holder acquired the lease (MicroTime); "" when absent. */
  readonly acquireTime: string;
  /** When the holder last renewed the lease (MicroTime); "" when absent. */
  readonly renewTime: string;
  /** How many times the holder changed. */
  readonly leaseTransitions: number;
}

/** A Lease as read from (or written to) the API server, with its record. */
export interface ObservedLease {
  readonly record: LeaderElectionRecord;
  /** The raw object; its `metadata.resourceVersion` is the base of the next update. */
  readonly object: Lease;
}

/** Where the lock lives. */
export interface LeaseLockOptions {
  /** Namespace of the Lease; must not be empty. */
  readonly namespace: string;
  /** Name of the Lease; must not be empty. */
  readonly name: string;
}

/** Reads and writes one Lease through a {@link KubeClient}. Does no I/O until called. */
export class LeaseLock {
  readonly #client: KubeClient;
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Name of the Lease. */
  readonly name: string;

  /** @throws {RangeError} when `namespace` or `name` is empty */
  constructor(client: KubeClient, options: LeaseLockOptions) {
    if (!options.namespace) throw new RangeError("Lease namespace must not be empty");
    if (!options.name) throw new RangeError("Lease name must not be empty");
    this.#client = client;
    this.namespace = options.namespace;
    this.name = options.name;
  }

  /** "namespace/name", for logs. */
  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  /**
   * Reads the Lease.
   * @throws {ApiError} 404 (see `isNotFound`) when it does not exist, or any other API error
   */
  async get(signal?: AbortSignal): Promise<ObservedLease> {
    const object = await this.#client.get<Lease>(Resources.leases, this.name, {
      namespace: this.namespace,
      signal,
    });
    return { record: recordFromLease(object), object };
  }

  /**
   * Creates the Lease holding `record`.
   * @throws {ApiError} 409 AlreadyExists when someone created it first
   */
  async create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<ObservedLease> {
    const lease: Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.name, namespace: this.namespace },
      spec: specFromRecord(record),
    };
    const object = await this.#client.create<Lease>(Resources.leases, lease, {
      namespace: this.namespace,
      signal,
    });
    return { record: recordFromLease(object), object };
  }

  /**
   * Replaces the record of `observed` (a Lease previously returned by this
   * lock) with `record` by a PUT carrying `observed.metadata.resourceVersion`.
   * Metadata and spec fields outside the record are kept.
   * @throws {ApiError} 409 Conflict (see `isConflict`) when the Lease changed
   *   since it was observed: nothing was written
   */
  async update(
    observed: Lease,
    record: LeaderElectionRecord,
    signal?: AbortSignal,
  ): Promise<ObservedLease> {
    const lease: Lease = {
      ...observed,
      metadata: { ...observed.metadata, name: this.name, namespace: this.namespace },
      spec: specFromRecord(record, observed.spec),
    };
    const object = await this.#client.update<Lease>(Resources.leases, lease, {
      namespace: this.namespace,
      signal,
    });
    return { record: recordFromLease(object), object };
  }
}

/** The record a Lease carries; absent fields read as "" or 0 (as client-go does). */
export function recordFromLease(lease: Lease): LeaderElectionRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? "",
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: spec.acquireTime ?? "",
    renewTime: spec.renewTime ?? "",
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/** True when two records are identical field by field (client-go compares the raw records). */
export function sameRecord(a: LeaderElectionRecord, b: LeaderElectionRecord): boolean {
  return a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions;
}

/**
 * Formats wall-clock milliseconds since the epoch as a Kubernetes MicroTime:
 * RFC 3339 in UTC with exactly six fractional digits, e.g.
 * `2026-01-02T03:04:05.123456Z`. Fractions of a millisecond are kept.
 * @throws {RangeError} when `wallMs` is not finite or out of the years 0–9999
 */
export function formatMicroTime(wallMs: number): string {
  if (!Number.isFinite(wallMs)) throw new RangeError(`Time must be finite, got ${wallMs}`);
  const micros = Math.round(wallMs * 1000);
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  const iso = new Date(seconds * 1000).toISOString();
  if (iso.length !== 24) throw new RangeError(`Time ${wallMs} is outside the years 0-9999`);
  return `${iso.slice(0, 19)}.${String(fraction).padStart(6, "0")}Z`;
}

/** The spec holding `record`, keeping the fields of `base` that are not part of a record. */
function specFromRecord(record: LeaderElectionRecord, base: LeaseSpec = {}): LeaseSpec {
  const spec: LeaseSpec = {
    ...base,
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
  };
  delete spec.acquireTime;
  delete spec.renewTime;
  if (record.acquireTime) spec.acquireTime = record.acquireTime;
  if (record.renewTime) spec.renewTime = record.renewTime;
  return spec;
}

/**
 * The record naming `identity` holder, continuing `current` (client-go's):
 * `acquireTime` kept while the holder stays, transitions counting changes of holder.
 */
export function claimRecord(
  current: LeaderElectionRecord | undefined,
  identity: string,
  leaseDurationMs: number,
  wallMs: number,
): LeaderElectionRecord {
  const now = formatMicroTime(wallMs);
  const ours = current?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
    acquireTime: current && ours ? current.acquireTime : now,
    renewTime: now,
    leaseTransitions: !current ? 0 : current.leaseTransitions + (ours ? 0 : 1),
  };
}

/** The record of a released lease (client-go's): no holder, expiring in a second. */
export function releasedRecord(held: LeaderElectionRecord, wallMs: number): LeaderElectionRecord {
  const now = formatMicroTime(wallMs);
  return {
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: held.leaseTransitions,
  };
}
