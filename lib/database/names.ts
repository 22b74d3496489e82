/**
 * The naming scheme of the objects pgop makes for a Database, in one place.
 *
 * | object                        | name                  |
 * |-------------------------------|-----------------------|
 * | StatefulSet                   | `<name>`              |
 * | client Service (ClusterIP)    | `<name>`              |
 * | headless Service (pod DNS)    | `<name>-headless`     |
 * | Secret (credentials)          | `<name>-app`          |
 * | pod `i`                       | `<name>-<i>`          |
 * | volume claim of pod `i`       | `data-<name>-<i>`     |
 * | read-write Service (primary)  | `<name>-rw`           |
 * | read-only Service (standbys)  | `<name>-ro`           |
 * | Secret (replication role)     | `<name>-replication`  |
 *
 * Why Database names are at most {@link MAX_DATABASE_NAME_LENGTH} characters:
 * the StatefulSet controller labels every pod with
 * `controller-revision-hash: <statefulset>-<hash>`, where the hash has up to
 * 10 characters and a label value at most 63, so 63 - 1 - 10 = 52. Every other
 * child name then fits too (`<name>-headless` is 61, a DNS-1035 label of at
 * most 63). Names must also be DNS-1035 labels because Services are.
 *
 * @module
 */

/** Longest Database name; see the module documentation for why. Equals the CRD's rule. */
export const MAX_DATABASE_NAME_LENGTH = 52;

/** A DNS-1035 label (what a Service name must be): lowercase, starts with a letter. */
export const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Name of the StatefulSet's volume claim template and of the pod's volume mount. */
export const DATA_VOLUME = "data";

/** Anything with a name; the builders take Database objects. */
export interface Named {
  readonly metadata?: { readonly name?: string };
}

/**
 * The Database's name.
 * @throws {RangeError} when `metadata.name` is missing or empty
 */
export function nameOf(db: Named): string {
  const name = db.metadata?.name;
  if (typeof name !== "string" || name === "") {
    throw new RangeError("Database has no metadata.name");
  }
  return name;
}

/** Name of the StatefulSet: the Database's name. @throws {RangeError} without a name */
export function statefulSetName(db: Named): string {
  return nameOf(db);
}

/**
 * Name of the client Service (type ClusterIP) that applications connect to:
 * the Database's name, so the host is `<name>.<namespace>.svc`.
 * @throws {RangeError} without a name
 */
export function clientServiceName(db: Named): string {
  return nameOf(db);
}

/**
 * Name of the headless Service that gives each pod a stable DNS name
 * (`<name>-0.<name>-headless.<namespace>.svc`); the StatefulSet's `serviceName`.
 * @throws {RangeError} without a name
 */
export function headlessServiceName(db: Named): string {
  return `${nameOf(db)}-headless`;
}

/** Name of the Secret holding the credentials and connection strings. @throws {RangeError} without a name */
export function secretName(db: Named): string {
  return `${nameOf(db)}-app`;
}

/**
 * Name of the Service that selects the primary only: writes, and the source
 * standbys stream from. @throws {RangeError} without a name
 */
export function readWriteServiceName(db: Named): string {
  return `${nameOf(db)}-rw`;
}

/** Name of the Service that selects the streaming standbys. @throws {RangeError} without a name */
export function readOnlyServiceName(db: Named): string {
  return `${nameOf(db)}-ro`;
}

/**
 * Name of the Secret holding the replication role's password (a Secret name
 * may be longer than a Service's). @throws {RangeError} without a name
 */
export function replicationSecretName(db: Named): string {
  return `${nameOf(db)}-replication`;
}

/**
 * Name of the pod with ordinal `ordinal`.
 * @throws {RangeError} without a name or when `ordinal` is not a non-negative integer
 */
export function podName(db: Named, ordinal: number): string {
  return `${statefulSetName(db)}-${checkOrdinal(ordinal)}`;
}

/**
 * Name of the PersistentVolumeClaim the StatefulSet controller creates for pod
 * `ordinal` (`<template>-<pod>`); needed to grow a volume, because volume claim
 * templates cannot be changed.
 * @throws {RangeError} without a name or when `ordinal` is not a non-negative integer
 */
export function claimName(db: Named, ordinal: number): string {
  return `${DATA_VOLUME}-${podName(db, ordinal)}`;
}

function checkOrdinal(ordinal: number): number {
  if (!Number.isSafeInteger(ordinal) || ordinal < 0) {
    throw new RangeError(`Ordinal must be a non-negative integer, got ${ordinal}`);
  }
  return ordinal;
}
