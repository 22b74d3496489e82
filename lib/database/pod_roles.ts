/**
 * Which pod is primary, and the labels and annotations pgop puts on each pod
 * so that the instance scripts and the Services follow (`docs/replication.md`),
 * including the steps of a planned switchover. Pure and level-based: every
 * round looks at the Database and its pods as they are and returns the
 * patches still missing, so a pgop that stops at any point resumes where the
 * pods are.
 *
 * @module
 */
import type { Pod } from "kubernetes-types/core/v1.d.ts";
import { podName } from "./names.ts";
import {
  DEMOTE_DEADLINE_ANNOTATION,
  DEMOTE_ID_ANNOTATION,
  DEMOTE_ID_PATTERN,
  FAILOVER_FROM_ANNOTATION,
  HANDOVER_FROM_ANNOTATION,
  parseDemotedMessage,
  PROMOTE_AFTER_LSN_ANNOTATION,
  PROMOTE_DEADLINE_ANNOTATION,
  REPLICAS_ANNOTATION,
  type Role,
  ROLE_LABEL,
  SYNCHRONOUS_ANNOTATION,
} from "./roles.ts";
import { live, ordinalOf, podReady, roleOf, terminationMessage } from "./instances.ts";
import { type Database, DEFAULT_REPLICAS, GROUP } from "./types.ts";
import { effectiveSynchronous } from "./failover.ts";

/** Annotation on the Database asking for a switchover to the pod it names; pgop removes it. */
export const SWITCHOVER_ANNOTATION = `${GROUP}/switchover-to`;

/**
 * How long a switchover's target may promote after the handover: its
 * `promote-deadline` is this far after pgop's clock at the handover. Long
 * enough for the kubelet to refresh the pod's labels and for a streaming
 * standby to replay the last WAL.
 */
export const PROMOTE_WINDOW_S = 60;

/**
 * How long an old primary may take to stop cleanly and report its final LSN:
 * the kubelet's label refresh, a fast shutdown that waits for the standbys to
 * receive the last WAL (at most `wal_sender_timeout`, 60 s), and the restart.
 */
export const DEMOTE_WINDOW_S = 120;

/**
 * How long after the target's deadline pgop gives the old primary its role
 * back when the target is still not a Ready primary: room for clock skew
 * between pgop and the node, and for the readiness probe.
 */
export const ROLLBACK_MARGIN_S = 30;

/** A JSON merge patch of a pod's labels and annotations (null removes a key). */
export interface PodMetadataPatch {
  readonly metadata: {
    readonly labels?: Readonly<Record<string, string | null>>;
    readonly annotations?: Readonly<Record<string, string | null>>;
  };
}

/**
 * One pod's patch, with the resourceVersion it was planned against (a
 * precondition) when it changes a pod that already has a role.
 */
export interface RolePatch {
  readonly pod: string;
  readonly patch: PodMetadataPatch;
  /** The pod's resourceVersion as seen; sending it makes a stale plan fail with a conflict. */
  readonly resourceVersion?: string;
}

/** What pgop does about roles for one Database this round. */
export interface RolePlan {
  /** The pod that is (or is becoming) primary: `status.primary`. */
  readonly primary: string;
  /** Patches to send, in order. */
  readonly patches: readonly RolePatch[];
  /** Set when the switchover request is finished: remove the annotation, report the message. */
  readonly switchover?: { readonly outcome: "done" | "refused"; readonly message: string };
}

/** Inputs of {@link planRoles} besides the Database and its pods. */
export interface PlanRolesOptions {
  /** A new demote id (matching `DEMOTE_ID_PATTERN`), asked for only when a demotion starts. */
  readonly newDemoteId: () => string;
  /** Wall-clock time in milliseconds (the handover's timestamp and timeout). */
  readonly now: number;
  /** A fail-over decided this round (`failover.ts`): its target becomes primary at once. */
  readonly failover?: { readonly from: string; readonly to: string };
}

/** The annotations of a demotion, removed from a pod that is primary. */
const PRIMARY_MARKS: Readonly<Record<string, null>> = {
  [DEMOTE_ID_ANNOTATION]: null,
  [DEMOTE_DEADLINE_ANNOTATION]: null,
};

/** The annotations of a handover, removed once it is over. */
const HANDOVER_DONE: Readonly<Record<string, null>> = {
  [PROMOTE_AFTER_LSN_ANNOTATION]: null,
  [PROMOTE_DEADLINE_ANNOTATION]: null,
  [HANDOVER_FROM_ANNOTATION]: null,
  [FAILOVER_FROM_ANNOTATION]: null,
};

/**
 * The pod to give the primary role back to, when `primary` was handed over
 * and is still not a Ready primary {@link ROLLBACK_MARGIN_S} after its deadline.
 */
function stuckHandover(
  primary: Pod | undefined,
  byName: ReadonlyMap<string, Pod>,
  now: number,
): Pod | undefined {
  const annotations = primary?.metadata?.annotations ?? {};
  const deadline = Number(annotations[PROMOTE_DEADLINE_ANNOTATION] ?? Number.NaN);
  const from = byName.get(annotations[HANDOVER_FROM_ANNOTATION] ?? "");
  if (primary === undefined || from === undefined || !Number.isFinite(deadline)) return undefined;
  if (roleOf(primary) !== "primary" || podReady(primary)) return undefined;
  return now / 1000 > deadline + ROLLBACK_MARGIN_S ? from : undefined;
}

/** The metadata changes that make `pod` carry `labels` and `annotations`; undefined when none. */
function diff(
  pod: Pod,
  labels: Record<string, string | null>,
  annotations: Record<string, string | null>,
): PodMetadataPatch | undefined {
  const changed = (have: Record<string, string> | undefined, want: Record<string, string | null>) =>
    Object.fromEntries(
      Object.entries(want).filter(([k, v]) => (have?.[k] ?? null) !== v),
    );
  const l = changed(pod.metadata?.labels, labels);
  const a = changed(pod.metadata?.annotations, annotations);
  if (Object.keys(l).length === 0 && Object.keys(a).length === 0) return undefined;
  return {
    metadata: {
      ...(Object.keys(l).length ? { labels: l } : {}),
      ...(Object.keys(a).length ? { annotations: a } : {}),
    },
  };
}

/**
 * The roles of `db`'s pods this round:
 *
 * - The primary is the one pod labelled primary (labels are written before
 *   status, so they are the later word), else `status.primary`, else pod 0.
 * - Every other live pod is labelled replica; the primary carries the replica
 *   count and synchronous count annotations, replicas carry neither.
 * - With {@link SWITCHOVER_ANNOTATION} naming another Ready pod while the
 *   primary is Ready: the primary is relabelled replica with a fresh demote
 *   id; once its termination message with that id reports its final LSN, the
 *   target is labelled primary with `promote-after-lsn` and becomes
 *   `primary`; once it is Ready the request is done. A target that is not a
 *   Ready pod of the Database, or a primary that is not Ready, refuses it. A
 *   target that is not a Ready primary {@link ROLLBACK_MARGIN_S} after its
 *   promote deadline gives the role back to the old primary (its data is
 *   complete) and refuses the request.
 */
export function planRoles(db: Database, pods: readonly Pod[], options: PlanRolesOptions): RolePlan {
  const members = live(pods);
  const byName = new Map(members.map((p) => [p.metadata?.name ?? "", p]));
  const labelled = members.filter((p) => roleOf(p) === "primary");
  let primary = labelled.length === 1
    ? labelled[0].metadata?.name ?? ""
    : db.status?.primary ?? podName(db, 0);
  const replicas = db.spec.replicas ?? DEFAULT_REPLICAS;
  const synchronous = effectiveSynchronous(db, pods, options.failover?.from);
  const primaryAnnotations = {
    [REPLICAS_ANNOTATION]: String(replicas),
    [SYNCHRONOUS_ANNOTATION]: synchronous > 0 ? String(synchronous) : null,
  };
  const patches: RolePatch[] = [];
  const add = (pod: Pod, role: Role, annotations: Record<string, string | null> = {}) => {
    const roleAnnotations = role === "primary"
      ? primaryAnnotations
      : { [REPLICAS_ANNOTATION]: null, [SYNCHRONOUS_ANNOTATION]: null };
    const patch = diff(pod, { [ROLE_LABEL]: role }, { ...roleAnnotations, ...annotations });
    // A first label goes without precondition: a new pod changes fast
    // (scheduled, started) and its own version says nothing about the others.
    const resourceVersion = roleOf(pod) === undefined ? undefined : pod.metadata?.resourceVersion;
    if (patch) {
      patches.push({
        pod: pod.metadata?.name ?? "",
        patch,
        ...(resourceVersion ? { resourceVersion } : {}),
      });
    }
  };
  let switchover: RolePlan["switchover"];
  let handled = new Set<string>();

  // Scaling down below the primary's ordinal: switch over to pod 0 first
  // (retried each round while refused; only a user's request is answered).
  const requested = db.metadata?.annotations?.[SWITCHOVER_ANNOTATION];
  const target = requested ??
    (replicas > 0 && ordinalOf(primary) >= replicas ? podName(db, 0) : undefined);
  const back = stuckHandover(byName.get(primary), byName, options.now);
  const failoverTo = options.failover?.from === primary
    ? byName.get(options.failover.to)
    : undefined;
  if (failoverTo !== undefined) {
    // The primary is lost (`failover.ts`): the standby takes over at once and
    // promotes without waiting for an LSN; the old pod is labelled replica
    // below, so that it rejoins as a standby whenever its node returns.
    add(failoverTo, "primary", {
      ...PRIMARY_MARKS,
      [FAILOVER_FROM_ANNOTATION]: primary,
      [PROMOTE_AFTER_LSN_ANNOTATION]: null,
    });
    handled = new Set([failoverTo.metadata?.name ?? ""]);
    primary = failoverTo.metadata?.name ?? primary;
  } else if (back !== undefined) {
    // The target did not promote in time (and now never will): the old primary takes over again.
    const from = back.metadata?.name ?? "";
    add(byName.get(primary) as Pod, "replica", HANDOVER_DONE);
    add(back, "primary", PRIMARY_MARKS);
    switchover = {
      outcome: "refused",
      message: `${primary} did not become a ready primary in time; ${from} is primary again`,
    };
    handled = new Set([primary, from]);
    primary = from;
  } else if (target !== undefined) {
    const from = byName.get(primary);
    const to = byName.get(target);
    const refuse = (message: string) => (switchover = { outcome: "refused", message });
    if (target === primary) {
      if (to && roleOf(to) === "primary" && podReady(to)) {
        switchover = { outcome: "done", message: `${target} is the primary` };
      }
    } else if (!to) {
      refuse(`Switchover target "${target}" is not a pod of this Database`);
    } else if (!from) {
      refuse(`The primary "${primary}" has no pod to demote`);
    } else if (roleOf(from) === "primary") {
      // Step 1: fence and demote the old primary.
      if (!podReady(from)) refuse(`The primary "${primary}" is not ready`);
      else if (!podReady(to)) refuse(`Switchover target "${target}" is not streaming`);
      else {
        const id = options.newDemoteId();
        if (!DEMOTE_ID_PATTERN.test(id)) {
          throw new RangeError(`Bad demote id ${JSON.stringify(id)}`);
        }
        add(from, "replica", {
          [DEMOTE_ID_ANNOTATION]: id,
          [DEMOTE_DEADLINE_ANNOTATION]: String(Math.floor(options.now / 1000) + DEMOTE_WINDOW_S),
        });
        handled = new Set([primary, target]);
      }
    } else {
      // Step 2: the old primary stopped; hand over at its final LSN.
      const id = from.metadata?.annotations?.[DEMOTE_ID_ANNOTATION];
      const demoted = parseDemotedMessage(terminationMessage(from));
      handled = new Set([primary, target]);
      if (id !== undefined && demoted !== undefined && demoted.id === id) {
        add(to, "primary", {
          [PROMOTE_AFTER_LSN_ANNOTATION]: demoted.lsn,
          [PROMOTE_DEADLINE_ANNOTATION]: String(Math.floor(options.now / 1000) + PROMOTE_WINDOW_S),
          [HANDOVER_FROM_ANNOTATION]: primary,
        });
        primary = target;
      } else if (
        options.now / 1000 > Number(from.metadata?.annotations?.[DEMOTE_DEADLINE_ANNOTATION])
      ) {
        // No final LSN in time (a termination message that never came): the
        // target was never labelled, so the old primary may simply go on.
        add(from, "primary", PRIMARY_MARKS);
        refuse(`The primary "${primary}" did not report its final LSN in time; it stays primary`);
      }
    }
  }

  for (const pod of members) {
    const name = pod.metadata?.name ?? "";
    if (handled.has(name)) continue;
    const isPrimary = name === primary;
    // Clean-up once a pod serves its role: the handover's marks are spent.
    const marks: Record<string, string | null> = isPrimary ? { ...PRIMARY_MARKS } : {};
    if (isPrimary && podReady(pod) && roleOf(pod) === "primary") {
      Object.assign(marks, HANDOVER_DONE);
    }
    add(pod, isPrimary ? "primary" : "replica", marks);
  }
  return { primary, patches, ...(switchover && requested !== undefined ? { switchover } : {}) };
}
