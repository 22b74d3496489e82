/**
 * The pods of a Database seen as instances: role label, readiness, ordinal,
 * the PostgreSQL container's termination message, `status.instances`, and
 * how many pods the StatefulSet must keep. Pure; reads full pods or the
 * cache's projections alike.
 *
 * @module
 */
import type { Pod } from "kubernetes-types/core/v1.d.ts";
import { type Role, ROLE_LABEL } from "./roles.ts";
import { jsonEqual } from "./compare.ts";
import { POSTGRES_CONTAINER } from "./statefulset.ts";
import { type Database, DEFAULT_REPLICAS, type InstanceStatus } from "./types.ts";

/** The pod's role label, if it is one pgop sets. */
export function roleOf(pod: Pod): Role | undefined {
  const role = pod.metadata?.labels?.[ROLE_LABEL];
  return role === "primary" || role === "replica" ? role : undefined;
}

/** Whether the pod is Ready (its condition), or its PostgreSQL container is (a projection). */
export function podReady(pod: Pod): boolean {
  const condition = pod.status?.conditions?.find((c) => c.type === "Ready");
  if (condition !== undefined) return condition.status === "True";
  return pod.status?.containerStatuses?.find((c) => c.name === POSTGRES_CONTAINER)?.ready === true;
}

/** The termination message of the PostgreSQL container's last or current exit. */
export function terminationMessage(pod: Pod): string | undefined {
  const status = pod.status?.containerStatuses?.find((c) => c.name === POSTGRES_CONTAINER);
  return status?.state?.terminated?.message ?? status?.lastState?.terminated?.message;
}

/** The standbys' lag as a primary reported it (`lag_observations.ts` keeps one per Database). */
export interface ObservedLag {
  /** The pod that reported it. */
  readonly primary: string;
  /** Standby pod name → lag in bytes. */
  readonly lagBytes: Readonly<Record<string, number>>;
}

/**
 * Per pod in ordinal order: name, role, readiness, and a replica's lag when
 * `lag` was reported by `primary`. For `status.instances`.
 * With `primary` (the plan's), the roles are the ones pgop is giving the pods
 * this round rather than their labels as last seen: status then does not
 * change again when the labels arrive.
 */
export function instanceStatuses(
  pods: readonly Pod[],
  primary?: string,
  lag?: ObservedLag,
): InstanceStatus[] {
  const lagOf = lag !== undefined && lag.primary === primary ? lag.lagBytes : {};
  return live(pods).map((pod) => {
    const name = pod.metadata?.name ?? "";
    const role = primary === undefined ? roleOf(pod) : name === primary ? "primary" : "replica";
    const lagBytes = role === "replica" ? lagOf[name] : undefined;
    return {
      name,
      ...(role ? { role } : {}),
      ready: podReady(pod),
      ...(lagBytes === undefined ? {} : { lagBytes }),
    };
  });
}

/** The ordinal at the end of a pod's name ("db-2" → 2); NaN without one. */
export function ordinalOf(pod: Pod | string): number {
  const name = typeof pod === "string" ? pod : pod.metadata?.name ?? "";
  return Number(/-(\d+)$/.exec(name)?.[1] ?? Number.NaN);
}

/**
 * The StatefulSet's replica count while `primary` is the primary: at least
 * enough pods to keep it (scaling down switches over to pod 0 first), none
 * when the Database is scaled to 0.
 */
export function replicasToRun(db: Database, primary: string): number {
  const replicas = db.spec.replicas ?? DEFAULT_REPLICAS;
  const ordinal = ordinalOf(primary);
  return replicas === 0 || !Number.isInteger(ordinal) ? replicas : Math.max(replicas, ordinal + 1);
}

/** The pods not being deleted and with an ordinal, in ordinal order. */
export function live(pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => !p.metadata?.deletionTimestamp && Number.isInteger(ordinalOf(p)))
    .sort((a, b) => ordinalOf(a) - ordinalOf(b));
}

/**
 * Whether two states of a pod differ in what `planRoles()` or
 * `status.instances` read: its existence, deletion, role label, pgop's
 * annotations, readiness, or its PostgreSQL container's termination message.
 * Restarts, times and addresses are not part of it, so a kubelet's routine
 * status update queues nothing.
 */
export function instanceChanged(a: Pod | undefined, b: Pod | undefined): boolean {
  if (a === undefined || b === undefined) return a !== b;
  return a.metadata?.deletionTimestamp !== b.metadata?.deletionTimestamp ||
    roleOf(a) !== roleOf(b) || podReady(a) !== podReady(b) ||
    terminationMessage(a) !== terminationMessage(b) ||
    !jsonEqual(a.metadata?.annotations ?? {}, b.metadata?.annotations ?? {});
}
