/**
 * What pgop's caches keep of the children it manages, declared once per
 * child as a view (see `cache/view.ts`): the protobuf decoder reads exactly
 * these fields (by the field numbers of `k8s.io/api` and
 * `k8s.io/apimachinery` `generated.proto`; a StatefulSet's pod template, a
 * Secret's data, a Service's spec are skipped unread), and the cache keeps
 * exactly these of a JSON object, so a child reads the same in either
 * encoding. A StatefulSet is ~6 KiB of JSON and ~5 KiB of heap once parsed;
 * with 10,000 Databases (40,000 children) whole children would be the bulk of
 * pgop's memory. Kept:
 *
 * - **metadata** that decides ownership and change: name, namespace, uid,
 *   resourceVersion, generation, deletionTimestamp, labels, annotations (pgop's
 *   {@link DESIRED_HASH_ANNOTATION} among them, kubectl's last-applied
 *   configuration not), owner references;
 * - **managedFields** reduced to the entries of other field managers that own
 *   something besides metadata and status (see {@link foreignSpecOwners});
 * - of a StatefulSet also what status and volume growth read: `spec.replicas`,
 *   the claim templates' storage requests, and the replica counts of `status`.
 *
 * A Secret's `data` is not kept: pgop holds no passwords in memory. Whether a
 * child matches its Database is decided from the projection by the hash of
 * the desired object pgop wrote (see `children.ts`).
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { Pod } from "kubernetes-types/core/v1.d.ts";
import type { ManagedFieldsEntry } from "kubernetes-types/meta/v1.d.ts";
import {
  LAST_APPLIED_ANNOTATION,
  memoryDietTransform,
  type Transform,
} from "../cache/transform.ts";
import { viewProjector } from "../cache/view.ts";
import type { MessageSchema } from "../kube/protobuf.ts";
import type { KubeObject, ObjectMeta } from "../kube/types.ts";
import { Interning } from "./interning.ts";
import { META_FIELDS, OWNER_REFERENCE } from "./meta_fields.ts";
import { podView } from "./pods.ts";
import { type Database, FIELD_MANAGER, GROUP } from "./types.ts";

/** Annotation on every child: a hash of the object pgop last wrote (see `desired_hash.ts`). */
export const DESIRED_HASH_ANNOTATION = `${GROUP}/desired-hash`;

/** Top-level fields of `fieldsV1` that say nothing about what pgop wrote. */
const NEUTRAL_FIELDS = new Set(["f:metadata", "f:status", "."]);

/**
 * The managedFields entries of other managers that own a field outside
 * metadata and status (through an apply, an update, or a subresource such as
 * `scale`), without their field sets. Status subresource entries (the
 * StatefulSet controller's) never count. Metadata is left out: pgop compares
 * labels, annotations and owner references itself. Entries without a field
 * set count (they are the result of an earlier projection).
 */
export function foreignSpecOwners(
  entries: readonly ManagedFieldsEntry[] | undefined,
  manager = FIELD_MANAGER,
): ManagedFieldsEntry[] {
  const result: ManagedFieldsEntry[] = [];
  for (const entry of entries ?? []) {
    if (entry.manager === manager || entry.subresource === "status") continue;
    // Without a field set (a projection's entry) it may own anything: kept, so
    // that projecting twice changes nothing.
    const fields = entry.fieldsV1 as Record<string, unknown> | undefined;
    if (fields && !Object.keys(fields).some((k) => !NEUTRAL_FIELDS.has(k))) continue;
    result.push({
      ...(entry.manager === undefined ? {} : { manager: entry.manager }),
      ...(entry.operation === undefined ? {} : { operation: entry.operation }),
      ...(entry.subresource === undefined ? {} : { subresource: entry.subresource }),
    });
  }
  return result;
}

/**
 * Annotations without kubectl's last-applied configuration; undefined when
 * none is left. pgop's lone hash annotation, on nearly every child, is an
 * object literal with its key written out: 32 bytes, where an object built
 * with a computed key takes 56 (measured by `deno task bench:cache-memory`).
 */
function keptAnnotations(
  annotations: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  const { [LAST_APPLIED_ANNOTATION]: _applied, ...rest } = annotations;
  const keys = Object.keys(rest);
  if (keys.length === 0) return undefined;
  if (keys.length === 1 && keys[0] === DESIRED_HASH_ANNOTATION) {
    return { "database.example.com/desired-hash": rest[DESIRED_HASH_ANNOTATION] };
  }
  return rest;
}

/** Metadata with its repeated parts shared (see `interning.ts`). */
function shareMetadata(m: Record<string, unknown>, interning: Interning): ObjectMeta {
  const meta = m as ObjectMeta;
  if (meta.namespace !== undefined) meta.namespace = interning.pool.intern(meta.namespace);
  const owners = meta.ownerReferences;
  if (owners === undefined || owners.length === 0) {
    if (meta.labels !== undefined) meta.labels = interning.pool.internValues(meta.labels);
    return meta;
  }
  const shared = interning.ownerReferences(owners);
  // Frozen when shared: cached objects are never changed in place.
  meta.ownerReferences = shared as typeof owners;
  if (meta.name === shared[0].name) meta.name = shared[0].name;
  if (meta.labels !== undefined) meta.labels = interning.labels(shared, meta.labels);
  return meta;
}

/** The views of pgop's children, with what they keep shared through `interning`. */
export interface ChildViews {
  /** A Secret or a Service: metadata only (field 1 of both). */
  readonly metadataOnly: MessageSchema;
  /**
   * A StatefulSet: metadata, `spec.replicas` and `podManagementPolicy`, the
   * claim templates' sizes, the replica counts.
   */
  readonly statefulSet: MessageSchema;
  /** A pod of a Database's StatefulSet: what status says when it cannot start (`pods.ts`). */
  readonly pod: MessageSchema;
}

/** The views of pgop's children (their one declaration), sharing through `interning`. */
export function childViews(interning: Interning): ChildViews {
  const metadata: MessageSchema = {
    ...META_FIELDS,
    11: { name: "labels", type: "map", value: "string" },
    12: { name: "annotations", type: "map", value: "string", keep: keptAnnotations },
    13: { name: "ownerReferences", type: "message", repeated: true, schema: OWNER_REFERENCE },
    17: {
      name: "managedFields",
      type: "message",
      repeated: true,
      schema: {
        1: { name: "manager", type: "string" },
        2: { name: "operation", type: "string" },
        3: { name: "apiVersion", type: "string" },
        // Which top-level fields each manager owns is all foreignSpecOwners reads.
        7: { name: "fieldsV1", type: "jsonKeys" },
        8: { name: "subresource", type: "string" },
      },
      // foreignSpecOwners reads the declared fields of each entry, and only the keys of fieldsV1.
      keepsRaw: true,
      keep: (entries: ManagedFieldsEntry[]) => {
        const foreign = foreignSpecOwners(entries);
        return foreign.length === 0 ? undefined : foreign;
      },
    },
  };
  const metadataOnly: MessageSchema = {
    1: {
      name: "metadata",
      type: "message",
      schema: metadata,
      keep: (m: Record<string, unknown>) => shareMetadata(m, interning),
    },
  };
  const claimTemplate: MessageSchema = {
    1: { name: "metadata", type: "message", schema: { 1: { name: "name", type: "string" } } },
    2: {
      name: "spec",
      type: "message",
      schema: {
        2: {
          name: "resources",
          type: "message",
          schema: { 2: { name: "requests", type: "map", value: "quantity" } },
        },
      },
    },
  };
  const statefulSet: MessageSchema = {
    ...metadataOnly,
    2: {
      name: "spec",
      type: "message",
      schema: {
        1: { name: "replicas", type: "int" },
        // Immutable: an OrderedReady StatefulSet is made again as Parallel (`docs/replication.md`).
        6: {
          name: "podManagementPolicy",
          type: "string",
          omitEmpty: true,
          keep: (policy: string) => interning.pool.intern(policy),
        },
        4: {
          name: "volumeClaimTemplates",
          type: "message",
          repeated: true,
          schema: claimTemplate,
          keep: (templates) => interning.claimTemplates(templates),
        },
      },
    },
    3: {
      name: "status",
      type: "message",
      schema: {
        1: { name: "observedGeneration", type: "int", omitEmpty: true },
        2: { name: "replicas", type: "int" },
        3: { name: "readyReplicas", type: "int", omitEmpty: true },
        4: { name: "currentReplicas", type: "int", omitEmpty: true },
        5: { name: "updatedReplicas", type: "int", omitEmpty: true },
        11: { name: "availableReplicas", type: "int" },
      },
    },
  };
  return { metadataOnly, statefulSet, pod: podView(interning) };
}

/** A transform that keeps what `view` declares. */
export function viewTransform<T extends KubeObject>(view: MessageSchema): Transform<T> {
  const project = viewProjector(view);
  return (obj) => project(obj as unknown as Record<string, unknown>) as unknown as T;
}

/**
 * A Database as cached: the memory diet (no managedFields), with the strings
 * that repeat across Databases shared: namespace, image, environment, phase
 * and the conditions.
 */
export function compactDatabase(db: Database, interning: Interning): Database {
  const { pool } = interning;
  const slim = memoryDietTransform(db);
  const out: Record<string, unknown> = { ...slim };
  if (slim.apiVersion !== undefined) out.apiVersion = pool.intern(slim.apiVersion);
  if (slim.kind !== undefined) out.kind = pool.intern(slim.kind);
  const { metadata, spec, status } = slim;
  if (metadata?.namespace !== undefined) {
    out.metadata = { ...metadata, namespace: pool.intern(metadata.namespace) };
  }
  if (spec !== undefined) {
    const pooled: Record<string, unknown> = { ...spec, image: pool.intern(spec.image) };
    if (spec.environment !== undefined) pooled.environment = pool.intern(spec.environment);
    out.spec = pooled;
  }
  if (status !== undefined) {
    const pooled: Record<string, unknown> = { ...status };
    if (status.phase !== undefined) pooled.phase = pool.intern(status.phase);
    if (status.conditions !== undefined) {
      pooled.conditions = status.conditions.map((c) => interning.condition(c));
    }
    out.status = pooled;
  }
  return out as unknown as Database;
}

/** The transforms of the Database controller's caches, sharing one {@link Interning}. */
export interface Projections {
  readonly views: ChildViews;
  readonly database: Transform<Database>;
  readonly statefulSet: Transform<StatefulSet>;
  readonly metadataOnly: Transform<KubeObject>;
  readonly pod: Transform<Pod>;
}

/** New projections with interning of their own (one set per controller's caches). */
export function newProjections(interning = new Interning()): Projections {
  const views = childViews(interning);
  return {
    views,
    database: (db) => compactDatabase(db, interning),
    statefulSet: viewTransform<StatefulSet>(views.statefulSet),
    metadataOnly: viewTransform<KubeObject>(views.metadataOnly),
    pod: viewTransform<Pod>(views.pod),
  };
}
