/**
 * Who wrote while holding the Lease: an audit policy that logs writes of the
 * Lease with their body (to see the holder they name) and writes of pgop's
 * objects without, and the check that every write to pgop's objects came from
 * the holder of the moment.
 *
 * @module
 */
import type { AuditedRequest } from "./audit.ts";
import { LEASE_NAME } from "./lease.ts";

/** Writes to the Lease with their body (to see the holder), writes to pgop's objects without. */
export const LEASE_AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
omitManagedFields: true
rules:
  - level: Request
    verbs: [create, update, patch, delete]
    resources: [{ group: coordination.k8s.io, resources: [leases] }]
  - level: Metadata
    verbs: [create, update, patch, delete]
    resources:
      - { group: "", resources: [secrets, services, events] }
      - { group: apps, resources: [statefulsets] }
      - { group: database.example.com }
  - level: None
`;

/** One audited write by a pgop replica. */
export interface AuditedWrite {
  /** The replica's identity (the user name without its prefix). */
  readonly user: string;
  readonly verb: string;
  readonly resource: string;
  readonly name: string;
  readonly code: number;
  /** Epoch ms the API server received the request. */
  readonly received: number;
  /** Epoch ms the API server answered it. */
  readonly completed: number;
  /** For writes of pgop's Lease: the holder it names. */
  readonly holder?: string;
}

/** The requests of users named `<userPrefix><identity>`, by identity. */
export function replicaWrites(
  requests: readonly AuditedRequest[],
  userPrefix: string,
): AuditedWrite[] {
  return requests.filter((r) => r.user.startsWith(userPrefix)).map((r) => ({
    user: r.user.slice(userPrefix.length),
    verb: r.verb,
    resource: r.resource,
    name: r.name,
    code: r.code,
    received: r.received,
    completed: r.completed,
    holder: r.resource === "leases" && r.name === LEASE_NAME ? r.leaseHolder ?? "" : undefined,
  }));
}

/**
 * Writes to pgop's objects by a process that did not hold the Lease when the
 * API server received them (the holder being the one named by the last
 * successful write of the Lease completed before then).
 */
export function writesByNonLeaders(writes: readonly AuditedWrite[]): string[] {
  const tenures = writes.filter((w) => w.holder !== undefined && w.code < 300)
    .sort((a, b) => a.completed - b.completed);
  const holderAt = (t: number) => tenures.findLast((w) => w.completed <= t)?.holder ?? "";
  return writes.filter((w) => w.resource !== "leases" && holderAt(w.received) !== w.user)
    .map((w) =>
      `${
        new Date(w.received).toISOString()
      } ${w.user} ${w.verb} ${w.resource}/${w.name} → ${w.code} (holder "${holderAt(w.received)}")`
    );
}
