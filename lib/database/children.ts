/**
 * Writing one child of a Database (Secret, Service, StatefulSet) without ever
 * taking over an object that is not ours, and without writing when nothing
 * changed.
 *
 * Every object pgop writes carries the hash of the desired object in an
 * annotation (`desired_hash.ts`); the cache keeps only a projection of each
 * child (`projection.ts`). So:
 *
 * - Not in the cache: POST it. Creation fails with AlreadyExists when any
 *   object has that name (one the label-selected cache cannot see, or one the
 *   watch has not delivered yet); only then is it read.
 * - Ours (controller reference to this Database) with the desired hash, labels
 *   and owner references, and no other manager owning fields of it: nothing to do.
 * - Ours, but another manager owns fields of it (`kubectl edit`, `kubectl
 *   scale`, another controller): the live object is read and compared in full;
 *   a changed field is applied back, and a match is remembered for that
 *   resourceVersion so that it is not read again.
 * - Ours with another hash (the Database changed): server-side apply. A Secret
 *   is read first, so that its password is carried over.
 * - Left by a predecessor (our labels, and no controller or a controller
 *   Database of the same name with an older uid — it was deleted with
 *   `--cascade=orphan` or is being garbage-collected): read, and adopted by applying.
 * - Anything else: a conflict, reported on the Database; never overwritten.
 *
 * Known limit: another manager that only removes a field pgop set (`kubectl
 * edit` deleting a key) owns nothing afterwards, so the projection cannot
 * tell; the field comes back with pgop's next write of that child (a change
 * of the Database). Changed values are found, as are removed labels and
 * owner references. The same trade is made by operators that compare an input
 * hash (the Prometheus operator's StatefulSets), which see no edit at all.
 *
 * @module
 */
import { isAlreadyExists, isNotFound } from "../kube/errors.ts";
import { type Resource, Resources } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { needsApply, ownedBy } from "./compare.ts";
import { desiredHash, stamp } from "./desired_hash.ts";
import { foreignSpecOwners } from "./projection.ts";
import {
  type Database,
  FIELD_MANAGER,
  KIND,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  MANAGER_NAME,
} from "./types.ts";

/** What happened to a child. */
export type ChildOutcome =
  | { readonly kind: "unchanged" | "created" | "updated" | "adopted"; readonly object: KubeObject }
  | { readonly kind: "conflict"; readonly message: string };

/** One child of a Database, as the reconciler describes it. */
export interface ChildPlan {
  readonly resource: Resource;
  /**
   * The desired object as far as the cached projection can tell: what the hash
   * is taken of. Deterministic (a Secret's password is replaced by a fixed mask).
   */
  readonly template: KubeObject;
  /**
   * The object to write, given the existing one (undefined on create). With
   * `readsLive`, an existing object is always the live one, read in full.
   */
  build(existing: KubeObject | undefined): KubeObject;
  /** Whether writing over an existing object needs all of it (a Secret: its password). */
  readonly readsLive: boolean;
}

/** The object a create of `plan` sends: built with nothing existing, stamped with its hash. */
export function objectToCreate(plan: ChildPlan): KubeObject {
  return stamp(plan.build(undefined), desiredHash(plan.template));
}

/** Whether `obj` was left by an earlier Database of the same name and may be taken over. */
export function adoptable(obj: KubeObject, db: Database): boolean {
  const labels = obj.metadata?.labels ?? {};
  if (labels[LABEL_MANAGED_BY] !== MANAGER_NAME || labels[LABEL_INSTANCE] !== db.metadata?.name) {
    return false;
  }
  if (obj.metadata?.deletionTimestamp) return false;
  const controller = obj.metadata?.ownerReferences?.find((r) => r.controller);
  return controller === undefined ||
    (controller.kind === KIND && controller.name === db.metadata?.name);
}

/**
 * The resourceVersions of children that another manager co-owns and that were
 * read and found matching: not read again until they change. Bounded; the
 * oldest entries go first.
 */
export class VerifiedVersions {
  readonly #versions = new Map<string, string>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** Whether `obj` (by uid) was verified at its current resourceVersion. */
  has(obj: KubeObject): boolean {
    const uid = obj.metadata?.uid;
    return uid !== undefined && this.#versions.get(uid) === obj.metadata?.resourceVersion;
  }

  /** Remembers that `obj` matched at its resourceVersion. */
  add(obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    const version = obj.metadata?.resourceVersion;
    if (uid === undefined || version === undefined) return;
    this.#versions.delete(uid);
    this.#versions.set(uid, version);
    if (this.#versions.size > this.#max) {
      this.#versions.delete(this.#versions.keys().next().value as string);
    }
  }

  get size(): number {
    return this.#versions.size;
  }
}

function describe(resource: Resource, obj: KubeObject): string {
  return `${resource.kind} "${obj.metadata?.name}"`;
}

/**
 * Whether `db` (this uid) still exists and is not being deleted, read from the
 * API server: a child missing from the cache of a Database reconciled before
 * may have been collected with it.
 */
export async function databaseExists(
  client: KubeClient,
  db: Database,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    const live = await client.get<Database>(Resources.databases, db.metadata?.name ?? "", {
      namespace: db.metadata?.namespace,
      signal,
    });
    return live.metadata?.uid === db.metadata?.uid && !live.metadata?.deletionTimestamp;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** The live object, read once; undefined when it does not exist. */
async function readLive(
  client: KubeClient,
  resource: Resource,
  like: KubeObject,
  signal: AbortSignal,
): Promise<KubeObject | undefined> {
  try {
    return await client.get(resource, like.metadata?.name ?? "", {
      namespace: like.metadata?.namespace,
      signal,
    });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Makes a child exist as `plan` describes it, given what the cache holds
 * (`cached`, a projection; undefined when absent). Throws API errors other
 * than the ones this decides on (the reconcile is then retried with backoff).
 */
export async function ensureChild(
  client: KubeClient,
  plan: ChildPlan,
  db: Database,
  cached: KubeObject | undefined,
  signal: AbortSignal,
  verified: VerifiedVersions = new VerifiedVersions(),
): Promise<ChildOutcome> {
  const { resource } = plan;
  const hash = desiredHash(plan.template);
  const namespace = plan.template.metadata?.namespace;
  const vanished = () =>
    new Error(`${describe(resource, plan.template)} vanished while being written`);
  let current = cached;
  // Whether `current` is the whole live object rather than the cached projection.
  let live = false;
  if (current === undefined) {
    try {
      const created = await client.create(resource, stamp(plan.build(undefined), hash), {
        namespace,
        fieldManager: FIELD_MANAGER,
        signal,
      });
      return { kind: "created", object: created };
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    current = await readLive(client, resource, plan.template, signal);
    // Deleted between the create and the read: the next reconcile creates it.
    if (current === undefined) throw vanished();
    live = true;
  }
  const ours = ownedBy(current, db);
  if (!ours && !adoptable(current, db)) {
    return {
      kind: "conflict",
      message: `${
        describe(resource, current)
      } already exists and is not controlled by this Database`,
    };
  }
  // Hash, labels, owner references: everything the projection can compare.
  const matches = ours && !needsApply({ metadata: stamp(plan.template, hash).metadata }, current);
  const coOwned = foreignSpecOwners(current.metadata?.managedFields).length > 0;
  if (matches && (!coOwned || verified.has(current))) return { kind: "unchanged", object: current };
  // A full comparison (another manager owns fields of it) or a write that
  // needs what the projection lacks: read the live object.
  if (!live && (matches || plan.readsLive || !ours)) {
    current = await readLive(client, resource, current, signal);
    if (current === undefined) throw vanished();
    live = true;
  }
  const desired = stamp(plan.build(current), hash);
  if (ours && live && !needsApply(desired, current)) {
    verified.add(current);
    return { kind: "unchanged", object: current };
  }
  if (!ours) {
    // Replace the predecessor's owner reference first: an apply would add ours
    // beside it, and an object may have only one controller. The
    // resourceVersion makes the patch fail if the object changed since read.
    await client.patch(resource, current.metadata?.name ?? "", {
      metadata: {
        resourceVersion: current.metadata?.resourceVersion,
        ownerReferences: desired.metadata?.ownerReferences,
      },
    }, { namespace, type: "merge", fieldManager: FIELD_MANAGER, signal });
  }
  const applied = await client.apply(resource, desired, {
    fieldManager: FIELD_MANAGER,
    force: true,
    signal,
  });
  return { kind: ours ? "updated" : "adopted", object: applied };
}
