/**
 * The names shared by pgop and the instance script in the pod
 * (`instance_script.ts`): the role label, the annotations pgop puts on pods,
 * the replication role, and where the pod finds them. One place, so the
 * builders, the script and the tests cannot drift apart. See
 * `docs/replication.md`.
 *
 * @module
 */
import { GROUP } from "./types.ts";

/** Label on each pod naming its role; the Services select on it. */
export const ROLE_LABEL = `${GROUP}/role`;

/** The values of {@link ROLE_LABEL}. */
export const ROLES = ["primary", "replica"] as const;

/** A value of {@link ROLE_LABEL}. */
export type Role = typeof ROLES[number];

/** Annotation on the primary: the Database's replica count (which slots and standby names exist). */
export const REPLICAS_ANNOTATION = `${GROUP}/replicas`;

/** Annotation on the primary: how many standbys must confirm a commit (absent or 0: asynchronous). */
export const SYNCHRONOUS_ANNOTATION = `${GROUP}/synchronous`;

/**
 * Annotation on a switchover's target: the LSN (the old primary's shutdown
 * checkpoint) it must have replayed before it promotes itself.
 */
export const PROMOTE_AFTER_LSN_ANNOTATION = `${GROUP}/promote-after-lsn`;

/**
 * Annotation on a switchover's target: the time (Unix seconds, pgop's clock)
 * after which it must not promote for this handover any more, so that pgop's
 * rollback a margin later can never race a late promotion.
 */
export const PROMOTE_DEADLINE_ANNOTATION = `${GROUP}/promote-deadline`;

/**
 * Annotation on a fail-over's target: the lost primary it takes over from.
 * The script never makes a new database (initdb) for a pod carrying it: it
 * promotes only data it streamed.
 */
export const FAILOVER_FROM_ANNOTATION = `${GROUP}/failover-from`;

/** Annotation on a switchover's target: the pod it takes over from (for a rollback). */
export const HANDOVER_FROM_ANNOTATION = `${GROUP}/handover-from`;

/**
 * Annotation pgop puts on a primary as it relabels it replica: an opaque id
 * the script repeats in its termination message, so pgop never takes an older
 * message (of an earlier demotion) for this one.
 */
export const DEMOTE_ID_ANNOTATION = `${GROUP}/demote-id`;

/**
 * Annotation pgop puts on a primary beside its demote id: the time (Unix
 * seconds, pgop's clock) by which its final LSN must have been reported, else
 * pgop gives it the primary role back (the target was never labelled, so
 * nothing can have moved).
 */
export const DEMOTE_DEADLINE_ANNOTATION = `${GROUP}/demote-deadline`;

/** Characters of a demote id (it passes through the shell and the message unquoted). */
export const DEMOTE_ID_PATTERN = /^[A-Za-z0-9._-]{1,63}$/;

/** Name of the PostgreSQL role standbys replicate as; `spec.username` may not take it. */
export const REPLICATION_USER = "pgop_replication";

/** Where the downward-API volume with the pod's `labels` and `annotations` is mounted. */
export const POD_META_PATH = "/etc/pgop";

/** The start of the message a demoted primary leaves in its termination log. */
export const DEMOTED_MESSAGE_PREFIX = "pgop demoted:";

/** What a demoted primary reported when it stopped: where its WAL ends. */
export interface DemotedMessage {
  /** The {@link DEMOTE_ID_ANNOTATION} the pod had when it stopped; "" without one. */
  readonly id: string;
  /** LSN of its shutdown checkpoint record ("0/3000028"). */
  readonly lsn: string;
  /** Timeline it was on. */
  readonly timeline: number;
}

/** An LSN as PostgreSQL prints it: two hexadecimal halves. */
export const LSN_PATTERN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/;

/**
 * Reads the termination message of a primary that the instance script stopped
 * because it was relabelled replica.
 * @returns undefined when `message` is not such a message (another exit)
 */
export function parseDemotedMessage(message: string | undefined): DemotedMessage | undefined {
  if (message === undefined || !message.startsWith(DEMOTED_MESSAGE_PREFIX)) return undefined;
  const fields = new Map(
    message.slice(DEMOTED_MESSAGE_PREFIX.length).trim().split(/\s+/).map((field) => {
      const at = field.indexOf("=");
      return [field.slice(0, at), field.slice(at + 1)] as const;
    }),
  );
  const lsn = fields.get("lsn") ?? "";
  const timeline = Number(fields.get("timeline"));
  if (!LSN_PATTERN.test(lsn) || !Number.isSafeInteger(timeline) || timeline < 1) return undefined;
  const id = fields.get("id") ?? "";
  if (id !== "" && !DEMOTE_ID_PATTERN.test(id)) return undefined;
  return { id, lsn, timeline };
}
