/**
 * What pgop's caches keep of the children it manages. A StatefulSet as the
 * API server returns it is ~6 KiB of JSON and ~5 KiB of heap once parsed; pgop
 * reads a few fields of it. With 10,000 Databases (40,000 children) the
 * difference is the bulk of pgop's memory, so children are cached as
 * projections:
 *
 * - **metadata** that decides ownership and change: name, namespace, uid,
 *   resourceVersion, generation, deletionTimestamp, labels, annotations (pgop's
 *   {@link DESIRED_HASH_ANNOTATION} among them), owner references;
 * - **managedFields** reduced to the entries of other field managers that own
 *   something besides metadata and status (someone changed what pgop wrote:
 *   see {@link foreignSpecOwners}), without their field sets;
 * - of a StatefulSet also what status and volume growth read: `spec.replicas`,
 *   the claim templates' storage requests, and the replica counts of `status`.
 *
 * A Secret's `data` is not kept: pgop holds no passwords in memory; it reads
 * the live Secret in the rare case that it must write one that exists.
 *
 * Whether a child matches its Database is decided from the projection by the
 * hash of the desired object that pgop wrote into the annotation (see
 * `children.ts`); the full object is read only when another manager owns a
 * part of it.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { PersistentVolumeClaim } from "kubernetes-types/core/v1.d.ts";
import type { ManagedFieldsEntry, OwnerReference } from "kubernetes-types/meta/v1.d.ts";
import { StringPool } from "../cache/string_pool.ts";
import { WeakInterner } from "../cache/weak_interner.ts";
import {
  LAST_APPLIED_ANNOTATION,
  memoryDietTransform,
  type Transform,
} from "../cache/transform.ts";
import type { KubeObject, ObjectMeta } from "../kube/types.ts";
import { type Condition, CONDITION_FIELDS, type Database, FIELD_MANAGER, GROUP } from "./types.ts";

/**
 * Values that repeat across thousands of cached objects (namespaces, label
 * values, owner kinds, condition texts) are shared (see `string_pool.ts`).
 */
const pool = new StringPool();

/**
 * Projected claim template lists by their templates' names and sizes:
 * thousands of StatefulSets share a few (at most 1,000 distinct lists are kept).
 */
const claimTemplateLists = new Map<string, readonly PersistentVolumeClaim[]>();

/** The projection of a StatefulSet's claim templates: names and sizes, frozen and shared. */
function claimTemplates(templates: readonly PersistentVolumeClaim[]) {
  const parts = templates.map((t) => [t.metadata?.name, t.spec?.resources?.requests?.storage]);
  const key = parts.map(([name, storage]) => `${name}\u0000${storage}`).join("\u0001");
  let list = claimTemplateLists.get(key);
  if (list === undefined) {
    list = Object.freeze(parts.map(([name, storage]) =>
      Object.freeze({
        metadata: Object.freeze({ name }),
        spec: Object.freeze({ resources: Object.freeze({ requests: Object.freeze({ storage }) }) }),
      }) as PersistentVolumeClaim
    ));
    if (claimTemplateLists.size < 1000) claimTemplateLists.set(key, list);
  }
  return list;
}

/**
 * Owner references and labels, shared among the children of one owner: a
 * Database's four children carry the same ones (see `weak_interner.ts`).
 * Shared values are frozen: a cached object is never changed in place.
 */
const ownerReferences = new WeakInterner<readonly OwnerReference[]>();
const ownerLabels = new WeakInterner<Readonly<Record<string, string>>>();

/** The owners' uids: the key children of the same owners share things under. */
function ownersKey(refs: readonly OwnerReference[]): string {
  return refs.length === 1 ? refs[0].uid : refs.map((ref) => ref.uid).join(",");
}

/** `refs` as the instance shared by every cached object with equal references. */
function shareOwners(refs: readonly OwnerReference[]): readonly OwnerReference[] {
  return ownerReferences.share(
    ownersKey(refs),
    (shared) =>
      shared.length === refs.length && shared.every((ref, i) => sameReference(ref, refs[i])),
    () =>
      Object.freeze(refs.map((ref) =>
        Object.freeze({
          ...ref,
          apiVersion: pool.intern(ref.apiVersion),
          kind: pool.intern(ref.kind),
        })
      )),
  );
}

function sameReference(a: OwnerReference, b: OwnerReference): boolean {
  return a.uid === b.uid && a.name === b.name && a.kind === b.kind &&
    a.apiVersion === b.apiVersion && a.controller === b.controller &&
    a.blockOwnerDeletion === b.blockOwnerDeletion;
}

/**
 * `labels`, shared with the other children of the same owners when they carry
 * the same. A value equal to the owner's name (`app.kubernetes.io/instance`)
 * is the owner's name string; only other values go to the pool, which the
 * 10,000 distinct Database names would otherwise fill.
 */
function shareLabels(
  owners: readonly OwnerReference[],
  labels: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  const keys = Object.keys(labels);
  return ownerLabels.share(
    ownersKey(owners),
    (shared) => {
      const sharedKeys = Object.keys(shared);
      return sharedKeys.length === keys.length && keys.every((k) => shared[k] === labels[k]);
    },
    () => {
      const ownerName = owners[0].name;
      const out: Record<string, string> = {};
      for (const key of keys) {
        const value = labels[key];
        out[key] = value === ownerName ? ownerName : pool.intern(value);
      }
      return Object.freeze(out);
    },
  );
}

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

/** The metadata a child's projection keeps (see the module documentation). */
export function projectMetadata(metadata: ObjectMeta | undefined): ObjectMeta {
  const m = metadata ?? {};
  const { uid, resourceVersion, generation, deletionTimestamp } = m;
  const owners = m.ownerReferences;
  const shared = owners === undefined || owners.length === 0 ? undefined : shareOwners(owners);
  const name = shared !== undefined && m.name === shared[0].name ? shared[0].name : m.name;
  const namespace = pool.intern(m.namespace);
  const labels = m.labels === undefined
    ? undefined
    : shared === undefined
    ? pool.internValues(m.labels)
    : shareLabels(shared, m.labels);
  const annotations = projectAnnotations(m.annotations);
  // Frozen when shared: cached objects are never changed in place.
  const ownerReferences = (owners === undefined ? undefined : shared ?? []) as
    | OwnerReference[]
    | undefined;
  const foreign = foreignSpecOwners(m.managedFields);
  // What every child of pgop carries, as one object literal: built key by key,
  // an object keeps its fields in a second array, 16-24 bytes more per child.
  if (
    uid !== undefined && resourceVersion !== undefined && labels !== undefined &&
    annotations !== undefined && ownerReferences !== undefined &&
    deletionTimestamp === undefined && foreign.length === 0
  ) {
    return generation === undefined
      ? { name, namespace, uid, resourceVersion, labels, annotations, ownerReferences }
      : { name, namespace, uid, resourceVersion, generation, labels, annotations, ownerReferences };
  }
  // Otherwise key by key: absent fields stay absent (an undefined property costs memory too).
  const out: Record<string, unknown> = { name, namespace };
  if (uid !== undefined) out.uid = uid;
  if (resourceVersion !== undefined) out.resourceVersion = resourceVersion;
  if (generation !== undefined) out.generation = generation;
  if (deletionTimestamp !== undefined) out.deletionTimestamp = deletionTimestamp;
  if (labels !== undefined) out.labels = labels;
  if (annotations !== undefined) out.annotations = annotations;
  if (ownerReferences !== undefined) out.ownerReferences = ownerReferences;
  if (foreign.length > 0) out.managedFields = foreign;
  return out as ObjectMeta;
}

/**
 * Annotations without kubectl's last-applied configuration; undefined when
 * none is left. pgop's lone hash annotation is a literal with its key written
 * out: 32 bytes, where an object with a computed key takes 56.
 */
function projectAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  if (annotations === undefined) return undefined;
  const { [LAST_APPLIED_ANNOTATION]: _applied, ...rest } = annotations;
  const keys = Object.keys(rest);
  if (keys.length === 0) return undefined;
  if (keys.length === 1 && keys[0] === DESIRED_HASH_ANNOTATION) {
    return { "database.example.com/desired-hash": rest[DESIRED_HASH_ANNOTATION] };
  }
  return rest;
}

/** A Secret or Service as cached: metadata only. */
export function projectMetadataOnly<T extends KubeObject>(obj: T): T {
  return { metadata: projectMetadata(obj.metadata) } as T;
}

/** A StatefulSet as cached: metadata, the spec fields pgop reads back, and the replica counts. */
export const projectStatefulSet: Transform<StatefulSet> = (sts) => {
  const metadata = projectMetadata(sts.metadata);
  const spec = sts.spec && {
    replicas: sts.spec.replicas,
    volumeClaimTemplates: sts.spec.volumeClaimTemplates &&
      claimTemplates(sts.spec.volumeClaimTemplates),
  };
  const status = sts.status && {
    replicas: sts.status.replicas,
    readyReplicas: sts.status.readyReplicas,
    updatedReplicas: sts.status.updatedReplicas,
    availableReplicas: sts.status.availableReplicas,
    currentReplicas: sts.status.currentReplicas,
    observedGeneration: sts.status.observedGeneration,
  };
  // One literal in the usual case (see projectMetadata); absent parts stay absent.
  if (spec && status) return { metadata, spec, status } as StatefulSet;
  return { metadata, ...(spec && { spec }), ...(status && { status }) } as StatefulSet;
};

/**
 * Conditions, shared among Databases: thousands of them carry the same
 * condition, set in the same second ("Ready", "True", "1/1 replicas ready").
 */
const conditions = new WeakInterner<Condition>();
const CONDITION_KEYS: ReadonlySet<string> = new Set(CONDITION_FIELDS);

/** `c` as the instance shared by equal conditions of other Databases (frozen). */
function shareCondition(c: Condition): Condition {
  const pooled = () =>
    Object.freeze({
      ...c,
      type: pool.intern(c.type),
      status: pool.intern(c.status),
      reason: pool.intern(c.reason),
      message: pool.intern(c.message),
      lastTransitionTime: pool.intern(c.lastTransitionTime),
    });
  const keys = Object.keys(c);
  // Only conditions made of the fields compared below are shared.
  if (!keys.every((k) => CONDITION_KEYS.has(k))) return pooled();
  return conditions.share(
    CONDITION_FIELDS.map((field) => c[field]).join("\u0000"),
    (shared) =>
      Object.keys(shared).length === keys.length &&
      CONDITION_FIELDS.every((field) => shared[field] === c[field]),
    pooled,
  );
}

/**
 * A Database as cached: the memory diet (no managedFields), with the strings
 * that repeat across Databases shared: namespace, image, environment, phase
 * and the conditions' texts.
 */
export function compactDatabase(db: Database): Database {
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
    if (status.conditions !== undefined) pooled.conditions = status.conditions.map(shareCondition);
    out.status = pooled;
  }
  return out as unknown as Database;
}
