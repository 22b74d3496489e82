/**
 * The status of a Database, computed from what pgop observed. Pure: the time
 * is passed in, so recomputing with nothing changed yields a status deep-equal
 * to the current one, and {@link statusChanged} then says "no write".
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { jsonEqual } from "./compare.ts";
import type { PodProblem } from "./pods.ts";
import {
  type Condition,
  type ConditionStatus,
  type ConditionType,
  type Database,
  type DatabasePhase,
  type DatabaseStatus,
  DEFAULT_REPLICAS,
  type InstanceStatus,
  type LastFailover,
} from "./types.ts";

/** The reasons pgop puts on conditions. */
export const REASONS = {
  /** Every wanted replica is ready and runs the current pod template. */
  allReplicasReady: "AllReplicasReady",
  /** The StatefulSet exists; some replicas are not ready or not yet updated. */
  replicasNotReady: "ReplicasNotReady",
  /** No StatefulSet yet. */
  creating: "Creating",
  /** The spec breaks a rule of `validateSpec`. */
  invalidSpec: "InvalidSpec",
  /** A child's name is taken by an object the Database does not control. */
  childConflict: "ChildConflict",
  /** The API server refused to grow a volume (the storage class cannot expand, …). */
  storageResizeFailed: "StorageResizeFailed",
  /** The last reconcile failed (transient: it is retried). */
  reconcileError: "ReconcileError",
  /** Degraded is False. */
  asExpected: "AsExpected",
} as const;

/** Longest condition message (the CRD's maxLength); longer ones are cut. */
export const MAX_MESSAGE_LENGTH = 32768;

/** What the reconciler observed or concluded this round. */
export interface Observed {
  /** The Database's StatefulSet from the cache, when it exists and is owned by the Database. */
  readonly statefulSet?: StatefulSet;
  /** Problems from `validateSpec` ("field: message"); non-empty means Failed. */
  readonly invalid?: readonly string[];
  /** Why a child could not be applied because another owner has it; set means Failed. */
  readonly conflict?: string;
  /** A transient failure of this round (an apply that failed); sets Degraded only. */
  readonly error?: string;
  /** Why one of the StatefulSet's pods does not run (see `pods.ts`), when one does not. */
  readonly podProblem?: PodProblem;
  /** Why a volume could not grow (refused, not retried until the size changes); sets Degraded only. */
  readonly storage?: string;
  /** The pod pgop made the primary (`planRoles()`), for `status.primary`. */
  readonly primary?: string;
  /** Each pod's role and readiness (`instanceStatuses()`), for `status.instances`. */
  readonly instances?: readonly InstanceStatus[];
  /** A fail-over made this round, for `status.lastFailover` (else the last one stays). */
  readonly lastFailover?: LastFailover;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A timestamp for {@link computeStatus} from wall-clock milliseconds, in the
 * second precision of `metav1.Time`: "2026-01-02T03:04:05Z".
 * @throws {RangeError} when `ms` is not a finite time
 */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`Time must be finite, got ${ms}`);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * The status of `db` given what was observed, at time `now` (RFC 3339).
 *
 * - phase: `Failed` when the spec is invalid or a child conflicts; else
 *   `Pending` without StatefulSet; `Ready` when the StatefulSet controller has
 *   seen its latest spec, that spec has the wanted replicas, and that many pods
 *   exist, are ready and run the current template; `Creating` otherwise.
 * - readyReplicas: the StatefulSet's (0 without one); replicas: the wanted count.
 *   While Creating, a pod that cannot run (`observed.podProblem`) turns Ready
 *   and Degraded into that pod's reason (the kubelet's or the scheduler's,
 *   e.g. ErrImagePull) and message; Progressing stays ReplicasNotReady.
 * - primary and instances: as observed (`planRoles()`, `instanceStatuses()`);
 *   without an observation (a failed round) the current ones are kept.
 * - observedGeneration: `db.metadata.generation`.
 * - conditions `Ready`, `Progressing`, `Degraded`, in that order, each with the
 *   generation; `lastTransitionTime` is kept from the current status while a
 *   condition's status stays the same (reason or message changes keep it too).
 *   Conditions of other types are not carried over.
 *
 * @throws {RangeError} when `now` is not an RFC 3339 timestamp
 */
export function computeStatus(db: Database, observed: Observed, now: string): DatabaseStatus {
  if (typeof now !== "string" || !RFC3339.test(now)) {
    throw new RangeError(`now must be an RFC 3339 timestamp, got ${JSON.stringify(now)}`);
  }
  const generation = db.metadata?.generation;
  const requested: unknown = db.spec?.replicas;
  // A spec stored before the schema refused it may hold anything; status must still be valid.
  const validCount = typeof requested === "number" && Number.isInteger(requested) &&
    requested >= 0 &&
    requested <= 2 ** 31 - 1;
  const wanted = requested === undefined ? DEFAULT_REPLICAS : validCount ? requested : 0;
  const sts = observed.statefulSet;
  const readyReplicas = sts?.status?.readyReplicas ?? 0;
  // The wanted count, not the pods that exist: the latter moves on every step of
  // a rollout and would cost a status write each time.
  const replicas = requested === undefined || validCount ? wanted : undefined;
  const progress = `${readyReplicas}/${wanted} replicas ready`;

  let phase: DatabasePhase;
  let ready: [ConditionStatus, string, string];
  let progressing: [ConditionStatus, string, string];
  let degraded: [ConditionStatus, string, string] = ["False", REASONS.asExpected, ""];
  const invalid = observed.invalid ?? [];
  if (invalid.length > 0 || observed.conflict !== undefined) {
    phase = "Failed";
    const reason = invalid.length > 0 ? REASONS.invalidSpec : REASONS.childConflict;
    const message = invalid.length > 0 ? invalid.join("; ") : observed.conflict ?? "";
    ready = ["False", reason, message];
    progressing = ["False", reason, message];
    degraded = ["True", reason, message];
  } else if (sts === undefined) {
    phase = "Pending";
    ready = ["False", REASONS.creating, "Waiting for the StatefulSet to be created"];
    progressing = ["True", REASONS.creating, "Creating the StatefulSet"];
  } else if (isRolledOut(sts, wanted)) {
    phase = "Ready";
    ready = ["True", REASONS.allReplicasReady, progress];
    progressing = ["False", REASONS.allReplicasReady, progress];
  } else {
    phase = "Creating";
    const updated = sts.status?.updatedReplicas ?? 0;
    // Up-to-date counts only matter once the replicas are ready (a rollout of a new template).
    const message = readyReplicas >= wanted && updated < wanted
      ? `${progress}, ${updated}/${wanted} up to date`
      : progress;
    ready = ["False", REASONS.replicasNotReady, message];
    progressing = ["True", REASONS.replicasNotReady, message];
    const problem = observed.podProblem;
    if (problem !== undefined) {
      // The kubelet's or scheduler's own words: ErrImagePull, CrashLoopBackOff, Unschedulable…
      const detail = `Pod "${problem.pod}": ${problem.message || problem.reason}`;
      ready = ["False", problem.reason, detail];
      degraded = ["True", problem.reason, detail];
    }
  }
  if (phase !== "Failed" && observed.error !== undefined) {
    degraded = ["True", REASONS.reconcileError, observed.error];
  } else if (phase !== "Failed" && observed.storage !== undefined) {
    degraded = ["True", REASONS.storageResizeFailed, observed.storage];
  }

  const primary = observed.primary ?? db.status?.primary;
  const instances = observed.instances ?? db.status?.instances;
  const lastFailover = observed.lastFailover ?? db.status?.lastFailover;
  const previous = db.status?.conditions ?? [];
  const condition = (
    type: ConditionType,
    [status, reason, message]: [ConditionStatus, string, string],
  ) => {
    const before = previous.find((c) => c.type === type);
    const result: Condition = {
      type,
      status,
      reason,
      message: message.length > MAX_MESSAGE_LENGTH ? message.slice(0, MAX_MESSAGE_LENGTH) : message,
      lastTransitionTime: before !== undefined && before.status === status
        ? before.lastTransitionTime
        : now,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    };
    return result;
  };
  return {
    phase,
    readyReplicas,
    ...(replicas === undefined ? {} : { replicas }),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    ...(primary === undefined ? {} : { primary }),
    ...(instances === undefined ? {} : { instances }),
    ...(lastFailover === undefined ? {} : { lastFailover }),
    conditions: [
      condition("Ready", ready),
      condition("Progressing", progressing),
      condition("Degraded", degraded),
    ],
  };
}

/**
 * The error a reconcile throws when it failed with `error` and then could not
 * write its Degraded status either: `error` is what is retried (its cause).
 */
export function degradedUnwritten(error: unknown, statusError: unknown): AggregateError {
  const text = (e: unknown) => (e instanceof Error ? e.message : String(e));
  return new AggregateError(
    [error, statusError],
    `${text(error)}; and the Degraded status could not be written: ${text(statusError)}`,
    { cause: error },
  );
}

/**
 * Whether `next` differs from `current` in any way: exact structural equality
 * (key order ignored, `undefined` keys count as absent). True when there is no
 * current status.
 */
export function statusChanged(current: DatabaseStatus | undefined, next: DatabaseStatus): boolean {
  return !jsonEqual(current, next);
}

function isRolledOut(sts: StatefulSet, wanted: number): boolean {
  const status = sts.status ?? { replicas: 0 };
  const generation = sts.metadata?.generation;
  const seen = generation === undefined ||
    (status.observedGeneration !== undefined && status.observedGeneration >= generation);
  return seen &&
    (sts.spec?.replicas ?? DEFAULT_REPLICAS) === wanted &&
    status.replicas === wanted &&
    (status.readyReplicas ?? 0) >= wanted &&
    (status.updatedReplicas ?? 0) >= wanted;
}
