/**
 * The `Database` custom resource (`database.example.com/v1`) as TypeScript
 * types, and the constants that identify it and the objects pgop makes for it.
 * Must match `crds/database.yaml`; `crd_test.ts` checks that it does.
 *
 * @module
 */
import type { KubeObject, ObjectMeta } from "../kube/types.ts";

/** API group of the Database resource. */
export const GROUP = "database.example.com";
/** The one served and stored version. */
export const VERSION = "v1";
/** Kind of the Database resource. */
export const KIND = "Database";
/** `apiVersion` as written in Database objects and in owner references. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Field manager of every server-side apply pgop makes (spec and status). */
export const FIELD_MANAGER = "pgop";

/** Label key naming the application; its value is always {@link APP_NAME}. */
export const LABEL_NAME = "app.kubernetes.io/name";
/** Label key whose value is the Database's name: it tells instances apart in a namespace. */
export const LABEL_INSTANCE = "app.kubernetes.io/instance";
/** Label key naming the tool that manages an object; its value is {@link MANAGER_NAME}. */
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
/** Value of {@link LABEL_NAME}. */
export const APP_NAME = "postgresql";
/** Value of {@link LABEL_MANAGED_BY}; selects every object pgop made (`-l app.kubernetes.io/managed-by=pgop`). */
export const MANAGER_NAME = "pgop";

/** The TCP port PostgreSQL listens on, in the pod and on both Services. */
export const POSTGRES_PORT = 5432;

/** Replicas when `spec.replicas` is absent (the CRD defaults it to the same value). */
export const DEFAULT_REPLICAS = 1;

/** Every value of {@link DatabasePhase}, in lifecycle order. Equals the CRD's enum. */
export const PHASES = ["Pending", "Creating", "Ready", "Failed"] as const;

/**
 * The coarse state shown in `kubectl get databases`:
 * - `Pending`: no StatefulSet exists yet.
 * - `Creating`: the StatefulSet exists but fewer replicas are ready than wanted.
 * - `Ready`: every wanted replica is ready and up to date.
 * - `Failed`: pgop cannot proceed without a change by a person (invalid spec, or a
 *   child name taken by an object pgop does not own).
 */
export type DatabasePhase = typeof PHASES[number];

/** Status of a {@link Condition}, as in `metav1.Condition`. */
export type ConditionStatus = "True" | "False" | "Unknown";

/** The condition types pgop sets, in the order they appear in the status. */
export const CONDITION_TYPES = ["Ready", "Progressing", "Degraded"] as const;

/** A type of condition pgop sets. */
export type ConditionType = typeof CONDITION_TYPES[number];

/** One status condition; the shape of `metav1.Condition`. */
export interface Condition {
  /** CamelCase type, unique within the list (the list is a map keyed by type). */
  readonly type: string;
  readonly status: ConditionStatus;
  /** CamelCase machine-readable reason of the last change. */
  readonly reason: string;
  /** Human-readable detail; may be empty. */
  readonly message: string;
  /** RFC 3339 time at which `status` last changed (not reason or message). */
  readonly lastTransitionTime: string;
  /** `metadata.generation` of the Database when the condition was computed. */
  readonly observedGeneration?: number;
}

/** The fields of a {@link Condition}, in the order pgop writes them. */
export const CONDITION_FIELDS = [
  "type",
  "status",
  "reason",
  "message",
  "lastTransitionTime",
  "observedGeneration",
] as const satisfies readonly (keyof Condition)[];

/** Storage of each replica. */
export interface StorageSpec {
  /**
   * Size of each replica's volume as a Kubernetes quantity ("10Gi") or a number
   * of bytes. May grow, never shrink.
   */
  readonly size: string | number;
}

/** How the standbys replicate. */
export interface ReplicationSpec {
  /**
   * How many standbys must confirm each commit (`ANY k`), less than
   * `replicas`; 0 (the default) is asynchronous.
   */
  readonly synchronous?: number;
}

/** What the user asks for. */
export interface DatabaseSpec {
  /** Container image of PostgreSQL, e.g. "postgres:14". */
  readonly image: string;
  /** Number of pods, 0–10; defaulted to 1 by the API server. */
  readonly replicas?: number;
  /** Name of the database created at first start. Immutable. */
  readonly databaseName: string;
  /** Name of the superuser role created at first start. Immutable. */
  readonly username: string;
  readonly storage: StorageSpec;
  /** Free-form lowercase DNS label ("production"); selectable with `--field-selector`. */
  readonly environment?: string;
  readonly replication?: ReplicationSpec;
}

/** One pod of a Database as the status reports it. */
export interface InstanceStatus {
  /** The pod's name. */
  readonly name: string;
  /** Its role label, when pgop has set one. */
  readonly role?: "primary" | "replica";
  /** Whether it serves its role (a replica: streaming from the primary). */
  readonly ready?: boolean;
  /**
   * A replica's replication lag in bytes of WAL, as the primary last reported
   * it (`pg_current_wal_lsn() - replay_lsn`); updated when it moves by 1 MiB
   * and by half (`lag_observations.ts`). Absent when not observed.
   */
  readonly lagBytes?: number;
}

/** The last automated fail-over (`docs/failover.md`), as `status.lastFailover` reports it. */
export interface LastFailover {
  /** The lost primary. */
  readonly from: string;
  /** The standby pgop promoted. */
  readonly to: string;
  /** RFC 3339 time pgop decided it. */
  readonly time: string;
  /** Why the primary counted as lost. */
  readonly reason: string;
}

/** What pgop observed, written to the status subresource. */
export interface DatabaseStatus {
  readonly phase?: DatabasePhase;
  /** Pods of the StatefulSet with a Ready condition. */
  readonly readyReplicas?: number;
  /** The wanted number of replicas this status was computed for (`spec.replicas`). */
  readonly replicas?: number;
  /** The `metadata.generation` this status was computed for. */
  readonly observedGeneration?: number;
  /** The pod pgop has made the primary. */
  readonly primary?: string;
  /** Each pod's role and readiness, in ordinal order. */
  readonly instances?: readonly InstanceStatus[];
  /** The last automated fail-over; kept until the next one. */
  readonly lastFailover?: LastFailover;
  readonly conditions?: readonly Condition[];
}

/** A Database object. */
export interface Database extends KubeObject {
  metadata?: ObjectMeta;
  readonly spec: DatabaseSpec;
  readonly status?: DatabaseStatus;
}
