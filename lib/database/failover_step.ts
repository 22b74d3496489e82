/**
 * The reconciler's fail-over step (`docs/failover.md`): thin I/O around the
 * pure `failover.ts`. The cache only raises a suspicion; the decision is made
 * on the primary's pod and the nodes read fresh from the API server, so a
 * stale cache or a missed event cannot cause a fail-over.
 *
 * @module
 */
import type { Node, Pod } from "kubernetes-types/core/v1.d.ts";
import type { ReconcileResult } from "../controller/reconciler.ts";
import { isNotFound } from "../kube/errors.ts";
import type { EventRecorder } from "../kube/event_recorder.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeClient } from "../kube/types.ts";
import {
  assessPrimary,
  decideFailover,
  type Failover,
  type FailoverDecision,
  type NodeLookup,
} from "./failover.ts";
import { roleOf } from "./instances.ts";
import { podName } from "./names.ts";
import type { Database, LastFailover } from "./types.ts";

/** How soon a Database whose primary is lost without a standby to take over is looked at again. */
export const STUCK_RETRY_MS = 10_000;

/**
 * How soon a Database whose primary is long not Ready on a Ready node is
 * looked at again: its kubelet restarts it, and a node that turns not Ready
 * marks its pods not Ready at once (an event), so this is only a safety net.
 */
export const NOT_LOST_RETRY_MS = 30_000;

/** What {@link checkFailover} found. */
export interface FailoverCheck {
  /** The fail-over to make this round, if any. */
  readonly failover?: Failover;
  /** When to look again (the delay ending, or a blocked fail-over), in ms from now. */
  readonly requeueAfterMs?: number;
}

/** Inputs of {@link checkFailover}. */
export interface FailoverCheckOptions {
  readonly client: KubeClient;
  readonly events: EventRecorder;
  /** Wall-clock now (ms), from the injected clock. */
  readonly now: number;
  readonly delayMs: number;
  readonly signal: AbortSignal;
}

/**
 * The primary pgop holds this round, as `planRoles()` finds it: the one live
 * pod labelled primary, else `status.primary`, else pod 0.
 */
export function heldPrimary(db: Database, pods: readonly Pod[]): string {
  const labelled = pods.filter((p) => !p.metadata?.deletionTimestamp && roleOf(p) === "primary");
  return labelled.length === 1
    ? labelled[0].metadata?.name ?? ""
    : db.status?.primary ?? podName(db, 0);
}

async function readOrNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/**
 * Whether `db`'s primary is lost and who takes over. From the cache alone
 * while the primary is Ready, or not Ready for less than the delay (then it
 * asks to be looked at when the delay ends); otherwise reads the primary's
 * pod and the nodes of it and its standbys, and decides. A lost primary with
 * no standby to take over is reported as a Warning event `FailoverBlocked`.
 * @throws an API error from those reads other than NotFound (the reconcile is retried)
 */
export async function checkFailover(
  db: Database,
  pods: readonly Pod[],
  options: FailoverCheckOptions,
): Promise<FailoverCheck> {
  const { client, now, delayMs, signal } = options;
  const replicas = db.spec.replicas ?? 1;
  if (replicas < 2 || pods.length < 2) return {};
  const primary = heldPrimary(db, pods);
  const assessed = assessPrimary(primary, pods, { now, delayMs });
  if (assessed.kind === "healthy") return {};
  if (assessed.kind === "waiting") return { requeueAfterMs: Math.max(1, assessed.atMs - now) };
  const namespace = db.metadata?.namespace;
  const fresh = await readOrNull(() =>
    client.get<Pod>(Resources.pods, primary, { namespace, signal })
  );
  const nodes = new Map<string, Node | null>();
  await Promise.all(assessed.nodes.map(async (name) => {
    nodes.set(name, await readOrNull(() => client.get<Node>(Resources.nodes, name, { signal })));
  }));
  const decision: FailoverDecision = decideFailover(
    primary,
    fresh ?? undefined,
    pods,
    nodes as NodeLookup,
    { now, delayMs },
  );
  if (decision.kind === "failover") return { failover: decision.failover };
  if (decision.kind === "stuck") {
    await options.events.record(db, {
      type: "Warning",
      reason: "FailoverBlocked",
      message: decision.reason,
    });
    return { requeueAfterMs: STUCK_RETRY_MS };
  }
  // Not lost after all (the fresh read says Ready, or the node is Ready): the
  // cache catches up with an event; a node that turns Ready queues nothing, so look again.
  return { requeueAfterMs: NOT_LOST_RETRY_MS };
}

/**
 * Reports the fail-over of `check`, once its role patches were applied: a
 * Warning event `FailedOver` (with asynchronous replication the writes the
 * old primary had not sent are lost), `onFailover` (the metric), and the
 * record for `status.lastFailover`; undefined when `check` made none.
 */
export async function reportFailover(
  events: EventRecorder,
  db: Database,
  check: FailoverCheck,
  options: { readonly time: string; readonly onFailover?: () => void },
): Promise<LastFailover | undefined> {
  const failover = check.failover;
  if (failover === undefined) return undefined;
  const synchronous = (db.spec.replication?.synchronous ?? 0) > 0;
  await events.record(db, {
    type: "Warning",
    reason: "FailedOver",
    message: `${failover.reason}: promoted "${failover.to}"${
      synchronous ? "" : "; with asynchronous replication, writes it had not received are lost"
    }`,
  });
  options.onFailover?.();
  return { ...failover, time: options.time };
}

/** The sooner of a reconcile result's requeue and `afterMs`. */
export function soonest(
  result: ReconcileResult | undefined,
  afterMs: number | undefined,
): ReconcileResult | undefined {
  const after = Math.min(result?.requeueAfterMs ?? Infinity, afterMs ?? Infinity);
  return after === Infinity ? result : { ...result, requeueAfterMs: after };
}
