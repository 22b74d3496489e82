/**
 * "Is anything different?": comparisons of desired objects with what the watch
 * cache holds, so pgop writes only when something changed.
 *
 * @module
 */
import type { KubeObject } from "../kube/types.ts";
import type { Database } from "./types.ts";

/**
 * Whether a server-side apply of `desired` could change `actual`: true when
 * `actual` is absent or some field set in `desired` differs in `actual`.
 *
 * The comparison is a recursive subset: every key of a desired object must
 * match in the actual object, and keys only the actual object has (defaults
 * the server filled in, `status`, `metadata.resourceVersion`, labels of other
 * managers) are ignored. Arrays must have the same length and match element by
 * element with the same subset rule, so defaults inside list items (a
 * container's `terminationMessagePath`) do not count either. Lists whose
 * items all have a `name` (containers, env, ports, volumes), a `uid` (owner
 * references) or a `metadata.name` (claim templates) are matched by that key
 * instead, and items only the actual list has are ignored: server-side apply
 * keeps other managers' items, so they could never be "fixed" by an apply. Scalars compare
 * with `===`; keys whose desired value is `undefined` are skipped. The
 * top-level `apiVersion` and `kind` are skipped, since list responses omit
 * them on items.
 *
 * Caveats (none loops, each only causes a redundant no-op apply):
 * - the API server canonicalises quantities ("1000m" → "1", "1024Mi" → "1Gi");
 *   desired quantities must already be canonical (see `canonicalizeQuantity`);
 * - int-or-string values must have the type the server keeps (a port 5432 is
 *   not "5432");
 * - an unkeyed array another manager appended to always differs.
 */
export function needsApply(desired: KubeObject, actual: KubeObject | undefined): boolean {
  if (actual === undefined) return true;
  for (const [key, value] of Object.entries(desired)) {
    if (key === "apiVersion" || key === "kind" || value === undefined) continue;
    if (!isSubset(value, (actual as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** The identity of a list item, when the list is keyed (as server-side apply's list-maps are). */
function itemKey(item: unknown): string | undefined {
  if (!isPlainObject(item)) return undefined;
  if (typeof item.name === "string") return `name:${item.name}`;
  if (typeof item.uid === "string") return `uid:${item.uid}`;
  const meta = item.metadata;
  if (isPlainObject(meta) && typeof meta.name === "string") return `metadata.name:${meta.name}`;
  return undefined;
}

function isSubset(desired: unknown, actual: unknown): boolean {
  if (desired === actual) return true;
  if (Array.isArray(desired)) {
    if (!Array.isArray(actual)) return false;
    const keys = desired.map(itemKey);
    if (desired.length > 0 && keys.every((k) => k !== undefined)) {
      // A keyed list: each desired item must match the actual item of the same
      // key; items other managers added (kept by server-side apply) are ignored.
      const byKey = new Map(actual.map((item) => [itemKey(item), item]));
      return desired.every((item, i) => byKey.has(keys[i]) && isSubset(item, byKey.get(keys[i])));
    }
    if (actual.length !== desired.length) return false;
    return desired.every((item, i) => isSubset(item, actual[i]));
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(actual)) return false;
    for (const [key, value] of Object.entries(desired)) {
      if (value !== undefined && !isSubset(value, actual[key])) return false;
    }
    return true;
  }
  return false;
}

/**
 * Exact structural equality of JSON values: same keys, same array lengths and
 * order, scalars `===`. A key holding `undefined` counts as absent (as in
 * JSON), and `NaN` is not equal to itself.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const aKeys = Object.keys(a).filter((k) => a[k] !== undefined);
    const bKeys = Object.keys(b).filter((k) => b[k] !== undefined);
    return aKeys.length === bKeys.length && aKeys.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Whether `obj` is controlled by `db`: it has an owner reference with
 * `controller: true` and the Database's uid (a name match is not enough: a
 * Database deleted and re-created under the same name has a new uid, and its
 * predecessor's children are being garbage-collected).
 */
export function ownedBy(obj: KubeObject, db: Database): boolean {
  const uid = db.metadata?.uid;
  if (uid === undefined || uid === "") return false;
  return (obj.metadata?.ownerReferences ?? []).some((ref) =>
    ref.controller === true && ref.uid === uid
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
