/**
 * Index functions for {@link IndexedStore} (the model of client-go's
 * `cache.IndexFunc`): an indexer maps an object to the values it is filed
 * under, and the store builds a `value → keys` map the first time the index is
 * queried and keeps it up to date on every write from then on.
 *
 * Index names the store recognises when it answers a query:
 * - {@link NAMESPACE_INDEX} (`"namespace"`) answers `list({ namespace })`;
 * - a field path such as `"spec.environment"` answers `list({ fields: { "spec.environment": … } })`;
 * - {@link labelIndexName}`(key)` (`"label:" + key`) answers `list({ labels: { [key]: … } })`.
 *
 * An index registered under one of those names must yield exactly the value the
 * query compares against (the built-ins below do); the store trusts it.
 *
 * @module
 */
import type { KubeObject } from "../kube/types.ts";

/**
 * Maps an object to the index values it is filed under; `[]` files it nowhere.
 * Must be pure and cheap: the store calls it on every add, update and delete.
 */
export type Indexer<T> = (obj: T) => string[];

/** The index name the store uses to answer `list({ namespace })`. */
export const NAMESPACE_INDEX = "namespace";

/** The index name the store uses to answer `list({ labels: { [key]: value } })`. */
export function labelIndexName(key: string): string {
  return `label:${key}`;
}

/** Files an object under its namespace; cluster-scoped objects are filed nowhere. */
export const namespaceIndexer: Indexer<KubeObject> = (obj) => {
  const namespace = obj.metadata?.namespace;
  return namespace ? [namespace] : [];
};

/** Files an object under the UID of every owner reference (for "objects owned by X"). */
export const ownerUidIndexer: Indexer<KubeObject> = (obj) => {
  const owners = obj.metadata?.ownerReferences;
  if (!owners || owners.length === 0) return [];
  return owners.map((ref) => ref.uid).filter((uid) => uid !== "");
};

/**
 * Files an object under the value of one label; objects without it are filed nowhere.
 * Register it as `{ [labelIndexName(key)]: labelIndexer(key) }` so label queries use it.
 * @throws {RangeError} when `key` is empty
 */
export function labelIndexer(key: string): Indexer<KubeObject> {
  if (key === "") throw new RangeError("Label key must not be empty");
  return (obj) => {
    const value = obj.metadata?.labels?.[key];
    return value === undefined ? [] : [value];
  };
}

/**
 * Files an object under the value found at a dot path, e.g. `"spec.environment"`.
 * Strings, numbers and booleans index as their string form; an array of them
 * indexes under each element; anything else (absent, object, null) under nothing.
 * Register it under the path itself so `list({ fields })` uses it.
 * @throws {RangeError} when the path is empty or has an empty segment
 */
export function fieldIndexer(path: string): Indexer<KubeObject> {
  const segments = parseFieldPath(path);
  return (obj) => valuesAt(obj, segments);
}

/**
 * The index values at a dot path (the same rules as {@link fieldIndexer});
 * the store uses it to filter when no index exists for a field.
 * @throws {RangeError} when the path is empty or has an empty segment
 */
export function fieldValues(obj: unknown, path: string): string[] {
  return valuesAt(obj, parseFieldPath(path));
}

function parseFieldPath(path: string): readonly string[] {
  const segments = path.split(".");
  if (segments.some((s) => s === "")) {
    throw new RangeError(`Field path must be dot-separated names, got "${path}"`);
  }
  return segments;
}

function valuesAt(obj: unknown, segments: readonly string[]): string[] {
  let current: unknown = obj;
  for (const segment of segments) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return [];
    current = (current as Record<string, unknown>)[segment];
  }
  if (Array.isArray(current)) return current.flatMap(scalar);
  return scalar(current);
}

function scalar(value: unknown): string[] {
  switch (typeof value) {
    case "string":
      return [value];
    case "number":
    case "boolean":
      return [String(value)];
    default:
      return [];
  }
}
