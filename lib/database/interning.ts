/**
 * What the Database controller's caches share among the objects they keep:
 * with thousands of Databases, most strings and several small objects repeat
 * (namespaces, label values, owner references, conditions set in the same
 * second, claim templates). One {@link Interning} is made for the caches of
 * one controller (see `controller.ts`) and passed to their transforms, so it
 * lives and goes with them; shared values are frozen, since a cached object
 * is never changed in place.
 *
 * @module
 */
import type { PersistentVolumeClaim } from "kubernetes-types/core/v1.d.ts";
import type { OwnerReference } from "kubernetes-types/meta/v1.d.ts";
import { StringPool } from "../cache/string_pool.ts";
import { WeakInterner } from "../cache/weak_interner.ts";
import { type Condition, CONDITION_FIELDS } from "./types.ts";

/** Distinct claim template lists kept for sharing; past that, lists are not shared. */
const MAX_CLAIM_TEMPLATE_LISTS = 1000;

const CONDITION_KEYS: ReadonlySet<string> = new Set(CONDITION_FIELDS);

/** The owners' uids: the key children of the same owners share things under. */
function ownersKey(refs: readonly OwnerReference[]): string {
  return refs.length === 1 ? refs[0].uid : refs.map((ref) => ref.uid).join(",");
}

function sameReference(a: OwnerReference, b: OwnerReference): boolean {
  return a.uid === b.uid && a.name === b.name && a.kind === b.kind &&
    a.apiVersion === b.apiVersion && a.controller === b.controller &&
    a.blockOwnerDeletion === b.blockOwnerDeletion;
}

/** `value` and everything in it, frozen (in place). */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Shared values of the caches of one controller. */
export class Interning {
  /** Strings that repeat across objects (see `string_pool.ts`). */
  readonly pool = new StringPool();
  readonly #ownerReferences = new WeakInterner<readonly OwnerReference[]>();
  readonly #conditions = new WeakInterner<Condition>();
  readonly #claimTemplateLists = new Map<string, readonly PersistentVolumeClaim[]>();

  /** `refs` as the instance shared by every cached object with equal references. */
  ownerReferences(refs: readonly OwnerReference[]): readonly OwnerReference[] {
    return this.#ownerReferences.share(
      ownersKey(refs),
      (shared) =>
        shared.length === refs.length && shared.every((ref, i) => sameReference(ref, refs[i])),
      () =>
        Object.freeze(refs.map((ref) =>
          Object.freeze({
            ...ref,
            apiVersion: this.pool.intern(ref.apiVersion),
            kind: this.pool.intern(ref.kind),
          })
        )),
    );
  }

  /**
   * `labels` with their values shared: a value equal to the owner's name
   * (the instance label) is the owner's name string, other values come from
   * the pool, which the 10,000 distinct Database names would otherwise fill.
   * (Sharing the whole map with the owner's other children, through a weak
   * interner, cost more than it saved: measured in bench/README.md.)
   */
  labels(
    owners: readonly OwnerReference[],
    labels: Readonly<Record<string, string>>,
  ): Record<string, string> {
    const ownerName = owners[0].name;
    const out: Record<string, string> = {};
    for (const key in labels) {
      const value = labels[key];
      out[key] = value === ownerName ? ownerName : this.pool.intern(value);
    }
    return out;
  }

  /** `c` as the instance shared by equal conditions of other Databases (frozen). */
  condition(c: Condition): Condition {
    const pooled = () =>
      Object.freeze({
        ...c,
        type: this.pool.intern(c.type),
        status: this.pool.intern(c.status),
        reason: this.pool.intern(c.reason),
        message: this.pool.intern(c.message),
        lastTransitionTime: this.pool.intern(c.lastTransitionTime),
      });
    const keys = Object.keys(c);
    // Only conditions made of the fields compared below are shared.
    if (!keys.every((k) => CONDITION_KEYS.has(k))) return pooled();
    return this.#conditions.share(
      CONDITION_FIELDS.map((field) => c[field]).join("\u0000"),
      (shared) =>
        Object.keys(shared).length === keys.length &&
        CONDITION_FIELDS.every((field) => shared[field] === c[field]),
      pooled,
    );
  }

  /**
   * A StatefulSet's projected claim templates (names and sizes), shared by
   * every StatefulSet with the same: thousands of StatefulSets have a few.
   */
  claimTemplates(templates: readonly PersistentVolumeClaim[]): readonly PersistentVolumeClaim[] {
    const key = templates.map((t) =>
      `${t.metadata?.name}\u0000${t.spec?.resources?.requests?.storage}`
    ).join("\u0001");
    let list = this.#claimTemplateLists.get(key);
    if (list === undefined) {
      list = deepFreeze(templates);
      if (this.#claimTemplateLists.size < MAX_CLAIM_TEMPLATE_LISTS) {
        this.#claimTemplateLists.set(key, list);
      }
    }
    return list;
  }
}
