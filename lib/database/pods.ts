/**
 * The pods of a Database, as pgop sees them: a small view for the cache (one
 * declaration, see `cache/view.ts`), the Database a pod belongs to, and the
 * one reason (if any) that keeps a pod from starting, in the kubelet's or the
 * scheduler's words. Pure.
 *
 * A Database's pods are owned by its StatefulSet, not by the Database, so they
 * are mapped to it by their `app.kubernetes.io/instance` label (the
 * controller's `byLabel`) and checked against the StatefulSet's uid before
 * they count.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { Pod, PodCondition } from "kubernetes-types/core/v1.d.ts";
import type { OwnerReference } from "kubernetes-types/meta/v1.d.ts";
import type { MessageSchema } from "../kube/protobuf.ts";
import type { Interning } from "./interning.ts";
import { META_FIELDS, OWNER_REFERENCE } from "./meta_fields.ts";
import {
  DEMOTE_DEADLINE_ANNOTATION,
  DEMOTE_ID_ANNOTATION,
  FAILOVER_FROM_ANNOTATION,
  HANDOVER_FROM_ANNOTATION,
  PROMOTE_AFTER_LSN_ANNOTATION,
  PROMOTE_DEADLINE_ANNOTATION,
  REPLICAS_ANNOTATION,
  ROLE_LABEL,
  SYNCHRONOUS_ANNOTATION,
} from "./roles.ts";
import { LABEL_INSTANCE } from "./types.ts";

/**
 * Waiting reasons of a container that is on its way: everything else the
 * kubelet says while waiting (ErrImagePull, ImagePullBackOff, CrashLoopBackOff,
 * CreateContainerConfigError, InvalidImageName, …) keeps the pod from running.
 */
const STARTING = new Set(["ContainerCreating", "PodInitializing"]);

/** The PodScheduled reason of a pod that no node can take (kube-scheduler's `v1.PodReasonUnschedulable`). */
const UNSCHEDULABLE = "Unschedulable";

/** Why a pod does not run: the kubelet's or the scheduler's reason and message. */
export interface PodProblem {
  readonly pod: string;
  readonly reason: string;
  readonly message: string;
}

/** A container's waiting or terminated state: reason and message (and the exit code). */
const WAITING_OR_TERMINATED: MessageSchema = {
  1: {
    name: "waiting",
    type: "message",
    schema: {
      1: { name: "reason", type: "string", omitEmpty: true },
      2: { name: "message", type: "string", omitEmpty: true },
    },
  },
  3: {
    name: "terminated",
    type: "message",
    schema: {
      1: { name: "exitCode", type: "int" },
      3: { name: "reason", type: "string", omitEmpty: true },
      4: { name: "message", type: "string", omitEmpty: true },
    },
  },
};

/** A container's state, also since when it runs (a fail-over's candidates, `failover.ts`). */
const RUNNING_WAITING_OR_TERMINATED: MessageSchema = {
  ...WAITING_OR_TERMINATED,
  2: { name: "running", type: "message", schema: { 1: { name: "startedAt", type: "time" } } },
};

/**
 * A pod as cached (by the field numbers of `k8s.io/api` `generated.proto`):
 * name, namespace, resourceVersion, creation and deletionTimestamp, the
 * instance and role labels, the annotations of `roles.ts`, the controller
 * owner reference; its node; of its status the phase, reason and message, the
 * PodScheduled condition only when it is False, the Ready condition's status
 * and transition time, and per container its name, readiness, state (start
 * when running, reason and message when waiting or terminated) and the last
 * termination's message. Everything {@link podProblem}, `planRoles()`
 * and `instanceStatuses()` read, a few hundred bytes per pod; the spec is
 * skipped unread.
 */
export function podView(interning: Interning): MessageSchema {
  const { pool } = interning;
  return {
    1: {
      name: "metadata",
      type: "message",
      schema: {
        1: META_FIELDS[1],
        3: META_FIELDS[3],
        6: META_FIELDS[6],
        // Since when an unscheduled pod has not served (fail-over, `failover.ts`).
        8: { name: "creationTimestamp", type: "time" },
        9: META_FIELDS[9],
        11: {
          name: "labels",
          type: "map",
          value: "string",
          keep: (labels: Record<string, string>) => pick(labels, KEPT_LABELS),
        },
        12: {
          name: "annotations",
          type: "map",
          value: "string",
          keep: (annotations: Record<string, string>) => pick(annotations, POD_ANNOTATIONS),
        },
        13: {
          name: "ownerReferences",
          type: "message",
          repeated: true,
          schema: OWNER_REFERENCE,
          keep: (refs: OwnerReference[]) => {
            const owner = refs.find((ref) => ref.controller);
            return owner === undefined ? undefined : [{
              ...owner,
              apiVersion: pool.intern(owner.apiVersion),
              kind: pool.intern(owner.kind),
            }];
          },
        },
      },
      keep: (m: Record<string, unknown>) => ({
        ...m,
        namespace: pool.intern(m.namespace as string | undefined),
      }),
    },
    // Which node it runs on: a fail-over reads that node (`failover.ts`).
    2: {
      name: "spec",
      type: "message",
      schema: { 10: { name: "nodeName", type: "string", omitEmpty: true } },
      keep: (spec: { nodeName?: string }) => (spec.nodeName ? spec : undefined),
    },
    3: {
      name: "status",
      type: "message",
      schema: {
        1: { name: "phase", type: "string", omitEmpty: true },
        2: {
          name: "conditions",
          type: "message",
          repeated: true,
          schema: {
            1: { name: "type", type: "string" },
            2: { name: "status", type: "string" },
            4: { name: "lastTransitionTime", type: "time" },
            5: { name: "reason", type: "string", omitEmpty: true },
            6: { name: "message", type: "string", omitEmpty: true },
          },
          // Only a pod the scheduler could not place says anything here, and
          // whether the pod is Ready (it serves its role: `instances.ts`).
          keep: (conditions: PodCondition[]) => {
            const kept = conditions.flatMap((c) =>
              c.type === "PodScheduled" && c.status === "False" ? [c] : c.type === "Ready"
                ? [{
                  type: c.type,
                  status: c.status,
                  ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}),
                }]
                : []
            );
            return kept.length === 0 ? undefined : kept;
          },
        },
        3: { name: "message", type: "string", omitEmpty: true },
        4: { name: "reason", type: "string", omitEmpty: true },
        // Where pgop reads a primary's replication from (`lag_observer.ts`).
        6: { name: "podIP", type: "string", omitEmpty: true },
        8: {
          name: "containerStatuses",
          type: "message",
          repeated: true,
          schema: {
            1: { name: "name", type: "string" },
            2: { name: "state", type: "message", schema: RUNNING_WAITING_OR_TERMINATED },
            // A demoted primary's final LSN is in the message of its last exit.
            3: { name: "lastState", type: "message", schema: { 3: WAITING_OR_TERMINATED[3] } },
            4: { name: "ready", type: "bool" },
          },
        },
      },
    },
  };
}

/** The labels a pod view keeps: which Database, and which role. */
const KEPT_LABELS = [LABEL_INSTANCE, ROLE_LABEL];

/** The annotations pgop writes on pods (`roles.ts`); no others are kept. */
const POD_ANNOTATIONS = [
  REPLICAS_ANNOTATION,
  SYNCHRONOUS_ANNOTATION,
  DEMOTE_ID_ANNOTATION,
  DEMOTE_DEADLINE_ANNOTATION,
  PROMOTE_AFTER_LSN_ANNOTATION,
  PROMOTE_DEADLINE_ANNOTATION,
  HANDOVER_FROM_ANNOTATION,
  FAILOVER_FROM_ANNOTATION,
];

/** The entries of `map` under `keys`; undefined when there are none. */
function pick(map: Record<string, string>, keys: readonly string[]) {
  let kept: Record<string, string> | undefined;
  for (const key of keys) {
    if (map[key] !== undefined) (kept ??= {})[key] = map[key];
  }
  return kept;
}

/**
 * Keys of the pods `statefulSet` wants (ordinals 0 to `spec.replicas` - 1),
 * for looking them up in the pod cache. None without a name or namespace.
 */
export function podKeys(statefulSet: StatefulSet): string[] {
  const { name, namespace } = statefulSet.metadata ?? {};
  if (!name || !namespace) return [];
  const replicas = statefulSet.spec?.replicas ?? 0;
  return Array.from({ length: Math.max(0, replicas) }, (_, i) => `${namespace}/${name}-${i}`);
}

/**
 * The first reason among `pods` (in the order given) that keeps one from
 * running, ignoring pods that `statefulSet` does not control and pods being
 * deleted:
 *
 * 1. the pod failed (phase Failed, e.g. Evicted): its reason, else "PodFailed";
 * 2. no node can take it (PodScheduled False with reason Unschedulable; other
 *    reasons, such as SchedulerError, are retried by the scheduler at once);
 * 3. a container waits for a reason other than ContainerCreating or
 *    PodInitializing (ErrImagePull, ImagePullBackOff, CrashLoopBackOff,
 *    CreateContainerConfigError, …);
 * 4. a container has terminated (reason, else "Terminated").
 *
 * Restart counts and times are never part of the result, so an unchanged
 * problem compares equal however often the kubelet retries.
 */
export function podProblem(
  statefulSet: StatefulSet,
  pods: readonly (Pod | undefined)[],
): PodProblem | undefined {
  const uid = statefulSet.metadata?.uid;
  for (const pod of pods) {
    if (pod === undefined || pod.metadata?.deletionTimestamp !== undefined) continue;
    const owner = pod.metadata?.ownerReferences?.find((ref) => ref.controller);
    if (uid === undefined || owner?.uid !== uid) continue;
    const problem = problemOf(pod);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function problemOf(pod: Pod): PodProblem | undefined {
  const name = pod.metadata?.name ?? "";
  const found = (reason: string | undefined, fallback: string, message: string | undefined) => ({
    pod: name,
    reason: reason || fallback,
    message: message ?? "",
  });
  const status = pod.status;
  if (status?.phase === "Failed") return found(status.reason, "PodFailed", status.message);
  const unscheduled = status?.conditions?.find((c) =>
    c.type === "PodScheduled" && c.status === "False"
  );
  // Only the scheduler's verdict that no node fits: SchedulerError and the like are retried at
  // once (a claim updated under the volume binder is one) and last a moment.
  if (unscheduled?.reason === UNSCHEDULABLE) {
    return found(unscheduled.reason, "", unscheduled.message);
  }
  for (const c of status?.containerStatuses ?? []) {
    const { waiting, terminated } = c.state ?? {};
    if (waiting?.reason && !STARTING.has(waiting.reason)) {
      return found(waiting.reason, "", waiting.message);
    }
    if (terminated !== undefined) return found(terminated.reason, "Terminated", terminated.message);
  }
  return undefined;
}

/** Whether two pod states differ in what {@link podProblem} reports (for event filtering). */
export function podProblemChanged(a: Pod | undefined, b: Pod | undefined): boolean {
  const pa = a === undefined ? undefined : problemOf(a);
  const pb = b === undefined ? undefined : problemOf(b);
  return pa?.reason !== pb?.reason || pa?.message !== pb?.message ||
    a?.metadata?.deletionTimestamp !== b?.metadata?.deletionTimestamp;
}
