/**
 * Automated fail-over (`docs/failover.md`): when the primary counts as lost,
 * and which standby takes over. Pure and level-based: every decision is made
 * from timestamps the API server holds (the pod's Ready condition, its
 * container's start, its node's Ready condition) and an injected time, so a
 * pgop that was paused, restarted or missed events decides the same as one
 * that saw everything, and never on one missed event.
 *
 * The primary is **lost** when, all at once:
 *
 * 1. its pod is not Ready (or not scheduled) since a time `T` (the Ready
 *    condition's `lastTransitionTime`, else the pod's creation), and
 *    `now ≥ T + delay`;
 * 2. its node is not Ready (condition `Ready` not `True`, or the Node is
 *    gone), or the pod has no node: a kubelet that still reports its node
 *    Ready also restarts the container, and is the one to trust.
 *
 * A primary whose pod is gone from the cache is not judged: the StatefulSet
 * makes the pod again at once (it stays Pending on a lost node's volume, and
 * is then judged by rule 1 from its creation).
 *
 * @module
 */
import type { Node, Pod } from "kubernetes-types/core/v1.d.ts";
import { live, ordinalOf, podReady, roleOf } from "./instances.ts";
import { POSTGRES_CONTAINER } from "./statefulset.ts";
import { type Database, DEFAULT_REPLICAS } from "./types.ts";

/** How long a primary must be not Ready on a not-Ready node before pgop fails over. */
export const DEFAULT_FAILOVER_DELAY_MS = 30_000;

/** What pgop knows of the nodes it asked about: a Node, or null when it is gone. */
export type NodeLookup = ReadonlyMap<string, Node | null>;

/** The outcome of {@link assessPrimary}. */
export type PrimaryAssessment =
  /** Nothing to do: the primary serves, is not lost by the rule, or no standby could take over. */
  | { readonly kind: "healthy" }
  /** Not Ready, but not for the delay yet: look again at `atMs`. */
  | { readonly kind: "waiting"; readonly atMs: number }
  /**
   * Not Ready for the delay: the nodes named must be read (fresh, from the
   * API server) before {@link decideFailover} may decide.
   */
  | { readonly kind: "suspect"; readonly pod: Pod; readonly nodes: readonly string[] };

/** A fail-over pgop decided. */
export interface Failover {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** The outcome of {@link decideFailover}. */
export type FailoverDecision =
  | { readonly kind: "none" }
  | { readonly kind: "failover"; readonly failover: Failover }
  /** Lost, but no standby qualifies: reported, looked at again later. */
  | { readonly kind: "stuck"; readonly reason: string };

function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Since when the pod is not Ready: its Ready condition's transition, else its creation. */
export function notReadySince(pod: Pod): number | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
  return parseTime(ready?.lastTransitionTime) ?? parseTime(pod.metadata?.creationTimestamp);
}

/** Whether a Node reports itself Ready (its kubelet posts status; the node controller marks it Unknown). */
export function nodeReady(node: Node | null | undefined): boolean {
  return node?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
}

/** When the PostgreSQL container of the pod started running; undefined when it does not run. */
function runningSince(pod: Pod): number | undefined {
  const status = pod.status?.containerStatuses?.find((c) => c.name === POSTGRES_CONTAINER);
  return parseTime(status?.state?.running?.startedAt);
}

/**
 * Whether the pod's PostgreSQL is a standby that served (streamed) during
 * its current container's life: Ready now, or Ready lost after the container
 * started. A standby still cloning, or restarted since, has never been Ready
 * in this container, and may hold no complete data.
 */
export function streamedSinceStart(pod: Pod): boolean {
  const started = runningSince(pod);
  if (started === undefined) return false;
  if (podReady(pod)) return true;
  const lost = parseTime(
    pod.status?.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime,
  );
  // Times have whole seconds: a transition in the start's own second may be the start's.
  return lost !== undefined && lost > started;
}

/**
 * First look at the primary, from the cache alone (no request): whether it
 * may be lost, and when to look again. `primary` is the pod pgop holds
 * primary (`planRoles`), `pods` all of the Database's pods, terminating ones
 * included (a pod on a lost node stays Terminating).
 */
export function assessPrimary(
  primary: string,
  pods: readonly Pod[],
  options: { readonly now: number; readonly delayMs: number },
): PrimaryAssessment {
  const pod = pods.find((p) => p.metadata?.name === primary);
  if (pod === undefined || podReady(pod)) return { kind: "healthy" };
  const since = notReadySince(pod);
  if (since === undefined) return { kind: "healthy" };
  const at = since + options.delayMs;
  if (options.now < at) return { kind: "waiting", atMs: at };
  // Without a standby that streamed there is no one to promote: no request.
  const standbys = candidates(primary, pods);
  if (standbys.length === 0) return { kind: "healthy" };
  const nodes = [pod.spec?.nodeName, ...standbys.map((c) => c.spec?.nodeName)]
    .filter((n): n is string => n !== undefined && n !== "");
  return { kind: "suspect", pod, nodes: [...new Set(nodes)] };
}

/** Standbys that streamed in their current container, best first (see {@link decideFailover}). */
function candidates(primary: string, pods: readonly Pod[]): Pod[] {
  const readySince = (p: Pod) =>
    parseTime(p.status?.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime) ?? 0;
  return live(pods)
    .filter((p) => p.metadata?.name !== primary && roleOf(p) !== "primary")
    .filter(streamedSinceStart)
    .sort((a, b) =>
      Number(podReady(b)) - Number(podReady(a)) || readySince(b) - readySince(a) ||
      ordinalOf(a) - ordinalOf(b)
    );
}

/**
 * The decision, once the pods and nodes were read fresh: `primary` is the
 * primary's pod as just read (undefined: gone), `nodes` the Nodes named by
 * {@link assessPrimary}. Fails over when the primary is lost by the rule of
 * this module to the best standby: one on a Ready node whose PostgreSQL
 * streamed in its current container, Ready ones first, then the one that
 * streamed last, then the lowest ordinal. pgop has no connection to read
 * WAL positions; with `synchronous: k` equal to the standbys' count every
 * standby holds every commit, otherwise the last to stream is a proxy only.
 */
export function decideFailover(
  primaryName: string,
  primary: Pod | undefined,
  pods: readonly Pod[],
  nodes: NodeLookup,
  options: { readonly now: number; readonly delayMs: number },
): FailoverDecision {
  if (primary === undefined || podReady(primary)) return { kind: "none" };
  const since = notReadySince(primary);
  if (since === undefined || options.now < since + options.delayMs) return { kind: "none" };
  const nodeName = primary.spec?.nodeName;
  const node = nodeName ? nodes.get(nodeName) : null;
  // Not read (a failed lookup) is not evidence: no fail-over.
  if (node === undefined) return { kind: "none" };
  if (nodeReady(node)) return { kind: "none" };
  const seconds = Math.round(options.delayMs / 1000);
  const why = nodeName
    ? node === null ? `its node "${nodeName}" is gone` : `its node "${nodeName}" is not Ready`
    : "it has no node";
  const reason = `Primary "${primaryName}" not Ready for over ${seconds} s and ${why}`;
  const others = pods.map((p) => (p.metadata?.name === primaryName ? primary : p));
  const best = candidates(primaryName, others).find((p) =>
    nodeReady(nodes.get(p.spec?.nodeName ?? ""))
  );
  if (best === undefined) {
    return { kind: "stuck", reason: `${reason}; no standby that streamed is on a Ready node` };
  }
  return {
    kind: "failover",
    failover: { from: primaryName, to: best.metadata?.name ?? "", reason },
  };
}

/**
 * The synchronous count the primary runs with: `spec.replication.synchronous`,
 * except while the primary lost in the last fail-over (`failoverFrom` this
 * round, else `status.lastFailover`) has not been Ready since: then at most
 * `replicas - 2`, the standbys that may still answer. Without this, a
 * Database of two pods with `synchronous: 1` could not commit at all after a
 * fail-over until the lost node returns. The cost, stated in
 * `docs/failover.md`: until the old primary is back as a standby, commits
 * need fewer confirmations (none with two pods).
 */
export function effectiveSynchronous(
  db: Database,
  pods: readonly Pod[],
  failoverFrom?: string,
): number {
  const k = db.spec.replication?.synchronous ?? 0;
  const from = failoverFrom ?? db.status?.lastFailover?.from;
  if (k === 0 || from === undefined) return k;
  const since = failoverFrom === undefined
    ? parseTime(db.status?.lastFailover?.time) ?? Infinity
    : Infinity;
  const pod = pods.find((p) => p.metadata?.name === from && !p.metadata?.deletionTimestamp);
  const transition = pod?.status?.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime;
  const back = pod !== undefined && (podReady(pod) || (parseTime(transition) ?? 0) > since);
  return back ? k : Math.max(0, Math.min(k, (db.spec.replicas ?? DEFAULT_REPLICAS) - 2));
}
