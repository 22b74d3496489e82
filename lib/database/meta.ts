/**
 * Labels, owner reference and metadata shared by every object pgop makes for
 * a Database. Pure functions.
 *
 * @module
 */
import type { OwnerReference } from "kubernetes-types/meta/v1.d.ts";
import { nameOf } from "./names.ts";
import {
  API_VERSION,
  APP_NAME,
  type Database,
  KIND,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  MANAGER_NAME,
} from "./types.ts";

/** The metadata pgop manages on a child object; nothing else. */
export interface ChildMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Mutable array type only so that it fits `ObjectMeta`; treat as read-only. */
  readonly ownerReferences: OwnerReference[];
}

/**
 * The labels that select a Database's pods: name and instance. Stable for the
 * life of the Database (a StatefulSet's selector is immutable), so never add to
 * them.
 * @throws {RangeError} when the Database has no name
 */
export function selectorLabels(db: Database): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: nameOf(db) };
}

/**
 * The labels of every child object and pod: {@link selectorLabels} plus
 * `app.kubernetes.io/managed-by=pgop`.
 * @throws {RangeError} when the Database has no name
 */
export function childLabels(db: Database): Record<string, string> {
  return { ...selectorLabels(db), [LABEL_MANAGED_BY]: MANAGER_NAME };
}

/**
 * The controller owner reference pointing at `db`: deleting the Database
 * garbage-collects the child, and `blockOwnerDeletion` makes a foreground
 * deletion of the Database wait for it.
 * @throws {RangeError} when the Database has no name or no uid
 */
export function controllerReference(db: Database): OwnerReference {
  const uid = db.metadata?.uid;
  if (typeof uid !== "string" || uid === "") {
    throw new RangeError(`Database "${nameOf(db)}" has no metadata.uid`);
  }
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: nameOf(db),
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * Metadata of a child named `name`, in the Database's namespace, labelled with
 * {@link childLabels} and owned through {@link controllerReference}.
 * @throws {RangeError} when the Database has no name, namespace or uid, or `name` is empty
 */
export function childMetadata(db: Database, name: string): ChildMetadata {
  const namespace = db.metadata?.namespace;
  if (typeof namespace !== "string" || namespace === "") {
    throw new RangeError(`Database "${nameOf(db)}" has no metadata.namespace`);
  }
  if (name === "") throw new RangeError("Child name must not be empty");
  return {
    name,
    namespace,
    labels: childLabels(db),
    ownerReferences: [controllerReference(db)],
  };
}
