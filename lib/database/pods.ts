/**
 * The pods of a Database, as pgop sees them: a small projection for the
 * cache, the Database a pod belongs to, and the one reason (if any) that keeps
 * a pod from starting, in the kubelet's or the scheduler's words. Pure.
 *
 * A Database's pods are owned by its StatefulSet, not by the Database, so they
 * are mapped to it by their `app.kubernetes.io/instance` label and checked
 * against the StatefulSet's uid before they count.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { ContainerStatus, Pod, PodCondition } from "kubernetes-types/core/v1.d.ts";
import type { OwnerReference } from "kubernetes-types/meta/v1.d.ts";
import { StringPool } from "../cache/string_pool.ts";
import type { KubeObject } from "../kube/types.ts";
import { LABEL_INSTANCE } from "./types.ts";

const pool = new StringPool();

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

/**
 * A pod as cached: name, namespace, resourceVersion, deletionTimestamp, the
 * instance label, the controller owner reference; of its status the phase and
 * reason, a PodScheduled condition only when it is False, and per container
 * its name, readiness, restart count and state only when waiting or
 * terminated (with reason and message). Everything {@link podProblem} reads,
 * a few hundred bytes per pod.
 */
export function projectPod(pod: Pod): Pod {
  const m = pod.metadata ?? {};
  const instance = m.labels?.[LABEL_INSTANCE];
  const owner = m.ownerReferences?.find((ref) => ref.controller);
  const metadata: Record<string, unknown> = {
    name: m.name,
    namespace: pool.intern(m.namespace),
    resourceVersion: m.resourceVersion,
  };
  if (m.deletionTimestamp !== undefined) metadata.deletionTimestamp = m.deletionTimestamp;
  if (instance !== undefined) metadata.labels = { [LABEL_INSTANCE]: instance };
  if (owner !== undefined) {
    const ref: OwnerReference = {
      apiVersion: pool.intern(owner.apiVersion),
      kind: pool.intern(owner.kind),
      name: owner.name,
      uid: owner.uid,
      controller: true,
    };
    metadata.ownerReferences = [ref];
  }
  const s = pod.status;
  if (s === undefined) return { metadata } as Pod;
  const status: Record<string, unknown> = { phase: pool.intern(s.phase) };
  if (s.reason !== undefined) status.reason = pool.intern(s.reason);
  if (s.message !== undefined) status.message = s.message;
  const unscheduled = s.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (unscheduled !== undefined) status.conditions = [projectCondition(unscheduled)];
  if (s.containerStatuses !== undefined) {
    status.containerStatuses = s.containerStatuses.map(projectContainer);
  }
  return { metadata, status } as Pod;
}

function projectCondition(c: PodCondition): PodCondition {
  return {
    type: pool.intern(c.type),
    status: pool.intern(c.status),
    ...(c.reason === undefined ? {} : { reason: pool.intern(c.reason) }),
    ...(c.message === undefined ? {} : { message: c.message }),
  };
}

function projectContainer(c: ContainerStatus): ContainerStatus {
  const { waiting, terminated } = c.state ?? {};
  const words = (w: { reason?: string; message?: string }) => ({
    ...(w.reason === undefined ? {} : { reason: pool.intern(w.reason) }),
    ...(w.message === undefined ? {} : { message: w.message }),
  });
  const state = waiting !== undefined
    ? { waiting: words(waiting) }
    : terminated !== undefined
    ? { terminated: { exitCode: terminated.exitCode, ...words(terminated) } }
    : undefined;
  return {
    name: pool.intern(c.name),
    ready: c.ready ?? false,
    restartCount: c.restartCount ?? 0,
    ...(state === undefined ? {} : { state }),
  } as ContainerStatus;
}

/**
 * The key ("namespace/name") of the Database a pod belongs to, from its
 * instance label; undefined for a pod without one.
 */
export function databaseKeyOfPod(pod: KubeObject): string | undefined {
  const instance = pod.metadata?.labels?.[LABEL_INSTANCE];
  const namespace = pod.metadata?.namespace;
  if (instance === undefined || instance === "" || namespace === undefined) return undefined;
  return `${namespace}/${instance}`;
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
