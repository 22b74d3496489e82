/**
 * The reconciler's replication steps (`docs/replication.md`): the Database's
 * pods as the cache holds them, the one-time re-creation of a StatefulSet made
 * before pods were managed in parallel, and the pod patches of a role plan
 * with their outcome. Thin I/O around the pure `planRoles()`.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { Pod } from "kubernetes-types/core/v1.d.ts";
import type { StoreReader } from "../cache/store.ts";
import type { ReconcileResult } from "../controller/reconciler.ts";
import { isConflict, isNotFound } from "../kube/errors.ts";
import type { EventRecorder } from "../kube/event_recorder.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeClient } from "../kube/types.ts";
import { ownedBy } from "./compare.ts";
import { podName } from "./names.ts";
import { type RolePlan, SWITCHOVER_ANNOTATION } from "./pod_roles.ts";
import { applyRolePlan } from "./role_writer.ts";
import { ordinalOf } from "./instances.ts";
import { type Database, DEFAULT_REPLICAS, LABEL_INSTANCE } from "./types.ts";
import { MAX_REPLICAS } from "./validation.ts";

/** How soon a Database is looked at again after a pod changed under a role patch. */
export const ROLE_RETRY_MS = 1_000;

/**
 * How often a Database is looked at while a switchover is under way: its
 * steps follow pod events, but its deadlines (a primary that never reports its
 * final LSN, a target that never promotes) pass without one.
 */
export const SWITCHOVER_POLL_MS = 5_000;

/**
 * When to look at `db` again for its roles' sake: soon when the role patches
 * met a changed pod (`applied` false), every {@link SWITCHOVER_POLL_MS} while
 * a switchover is under way (a user's unfinished request, or pgop's own before
 * a scale-down below the primary: their deadlines pass without a pod event),
 * else only on events.
 */
export function roleRequeue(
  db: Database,
  plan: RolePlan | undefined,
  applied: boolean,
): ReconcileResult | undefined {
  if (!applied) return { requeueAfterMs: ROLE_RETRY_MS };
  const requested = db.metadata?.annotations?.[SWITCHOVER_ANNOTATION] !== undefined &&
    plan?.switchover === undefined;
  const replicas = db.spec.replicas ?? DEFAULT_REPLICAS;
  const scalingBelow = plan !== undefined && replicas > 0 && ordinalOf(plan.primary) >= replicas;
  return requested || scalingBelow ? { requeueAfterMs: SWITCHOVER_POLL_MS } : undefined;
}

/** The pod management policy of a replicated StatefulSet (`replication_pod.ts`). */
const PARALLEL = "Parallel";

/**
 * The Database's pods in the cache (ordinals 0 to {@link MAX_REPLICAS} - 1, and
 * any the StatefulSet keeps beyond), those of this Database only.
 */
export function databasePods(
  db: Database,
  pods: Pick<StoreReader<Pod>, "get"> | undefined,
  statefulSet: StatefulSet | undefined,
): Pod[] {
  if (pods === undefined) return [];
  const count = Math.max(MAX_REPLICAS, statefulSet?.spec?.replicas ?? 0);
  const found: Pod[] = [];
  for (let i = 0; i < count; i++) {
    const pod = pods.get(`${db.metadata?.namespace}/${podName(db, i)}`);
    if (pod !== undefined && pod.metadata?.labels?.[LABEL_INSTANCE] === db.metadata?.name) {
      found.push(pod);
    }
  }
  return found;
}

/**
 * Whether `cached`, the Database's StatefulSet, must be made again because
 * its immutable `podManagementPolicy` is not Parallel; if so, deletes it with
 * orphan propagation (pods and volumes stay, and the new StatefulSet adopts
 * them through its selector), once. The caller skips the StatefulSet until
 * the cache no longer holds it; its deletion queues the Database.
 * @returns true while the StatefulSet is being made again
 */
export async function recreateForParallel(
  client: KubeClient,
  events: EventRecorder,
  db: Database,
  cached: StatefulSet | undefined,
  signal: AbortSignal,
): Promise<boolean> {
  const policy = cached?.spec?.podManagementPolicy;
  if (cached === undefined || policy === undefined || policy === PARALLEL) return false;
  if (!ownedBy(cached, db)) return false;
  if (cached.metadata?.deletionTimestamp !== undefined) return true;
  try {
    await client.delete(Resources.statefulSets, cached.metadata?.name ?? "", {
      namespace: cached.metadata?.namespace,
      propagationPolicy: "Orphan",
      preconditions: { uid: cached.metadata?.uid },
      signal,
    });
  } catch (error) {
    // Already gone, or replaced since: the next round sees what is there.
    if (!isNotFound(error) && !isConflict(error)) throw error;
  }
  await events.record(db, {
    type: "Normal",
    reason: "StatefulSetRecreated",
    message:
      `StatefulSet "${cached.metadata?.name}" is made again to manage pods in parallel; its pods and volumes are kept`,
  });
  return true;
}

/**
 * Sends the role plan's patches, reports a finished switchover request as an
 * event (Normal when done, Warning when refused).
 * @returns false when a pod changed (or went) since it was read: the plan is
 *   stale and the caller looks again soon
 */
export async function applyRoles(
  client: KubeClient,
  events: EventRecorder,
  db: Database,
  plan: RolePlan,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await applyRolePlan(client, db, plan, signal);
  } catch (error) {
    if (isConflict(error) || isNotFound(error)) return false;
    throw error;
  }
  if (plan.switchover !== undefined) {
    const done = plan.switchover.outcome === "done";
    await events.record(db, {
      type: done ? "Normal" : "Warning",
      reason: done ? "SwitchedOver" : "SwitchoverRefused",
      message: plan.switchover.message,
    });
  }
  return true;
}
