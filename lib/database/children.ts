/**
 * Writing one child of a Database (Secret, Service, StatefulSet) without ever
 * taking over an object that is not ours, and without writing when nothing
 * changed.
 *
 * - Not in the cache: POST it. Creation fails with AlreadyExists when any
 *   object has that name (one the label-selected cache cannot see, or one the
 *   watch has not delivered yet); only then is it read.
 * - Ours (controller reference to this Database): server-side apply when the
 *   desired fields differ from it, else nothing.
 * - Left by a predecessor (our labels, and no controller or a controller
 *   Database of the same name with an older uid — it was deleted with
 *   `--cascade=orphan` or is being garbage-collected): adopted by applying.
 * - Anything else: a conflict, reported on the Database; never overwritten.
 *
 * @module
 */
import { isAlreadyExists, isNotFound } from "../kube/errors.ts";
import type { Resource } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { needsApply, ownedBy } from "./compare.ts";
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

function describe(resource: Resource, obj: KubeObject): string {
  return `${resource.kind} "${obj.metadata?.name}"`;
}

/** Finds the existing object for a failed create: the live one, read once. */
async function readExisting(
  client: KubeClient,
  resource: Resource,
  desired: KubeObject,
  signal: AbortSignal,
): Promise<KubeObject | undefined> {
  try {
    return await client.get(resource, desired.metadata?.name ?? "", {
      namespace: desired.metadata?.namespace,
      signal,
    });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Makes a child exist as `build` describes it, given what the cache holds
 * (`cached`, undefined when absent). `build` gets the existing object, if any,
 * so that what must survive (a Secret's password) is carried over. Throws API
 * errors other than the ones this decides on (the reconcile is then retried
 * with backoff).
 */
export async function ensureChild(
  client: KubeClient,
  resource: Resource,
  db: Database,
  build: (existing: KubeObject | undefined) => KubeObject,
  cached: KubeObject | undefined,
  signal: AbortSignal,
): Promise<ChildOutcome> {
  let current = cached;
  let desired = build(current);
  const namespace = desired.metadata?.namespace;
  if (current === undefined) {
    try {
      const created = await client.create(resource, desired, {
        namespace,
        fieldManager: FIELD_MANAGER,
        signal,
      });
      return { kind: "created", object: created };
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    current = await readExisting(client, resource, desired, signal);
    // Deleted between the create and the read: the next reconcile creates it.
    if (current === undefined) {
      throw new Error(`${describe(resource, desired)} vanished while being created`);
    }
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
  // Built again from what exists, so that what must survive (a password) is kept.
  if (current !== cached) desired = build(current);
  if (ours && !needsApply(desired, current)) return { kind: "unchanged", object: current };
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
