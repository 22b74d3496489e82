/**
 * Transforms applied to each object on its way into the cache (the model of
 * client-go's `SetTransform`): drop what pgop never reads so that thousands of
 * cached objects cost less memory.
 *
 * @module
 */
import type { KubeObject } from "../kube/types.ts";

/**
 * Maps an incoming object to the one to store. Must not mutate its input
 * (the watch decoder or a test may still hold it) and must keep
 * `metadata.name`, `metadata.namespace` and `metadata.resourceVersion`.
 */
export type Transform<T> = (obj: T) => T;

/** The annotation `kubectl apply` writes: a full JSON copy of the object. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * Drops `metadata.managedFields` and the {@link LAST_APPLIED_ANNOTATION}
 * annotation, often most of an object's size. Returns a shallow copy (new
 * object and `metadata`, new `annotations` map when one is removed; an
 * annotations map left empty is dropped), or the input itself when there is
 * nothing to drop. Everything else is shared with the input.
 */
export function memoryDietTransform<T extends KubeObject>(obj: T): T {
  const metadata = obj.metadata;
  if (!metadata) return obj;
  const annotations = metadata.annotations;
  const hasLastApplied = annotations !== undefined &&
    Object.hasOwn(annotations, LAST_APPLIED_ANNOTATION);
  if (metadata.managedFields === undefined && !hasLastApplied) return obj;
  const { managedFields: _dropped, ...rest } = metadata;
  const slim: typeof metadata = rest;
  if (hasLastApplied) {
    const { [LAST_APPLIED_ANNOTATION]: _applied, ...others } = annotations;
    if (Object.keys(others).length > 0) slim.annotations = others;
    else delete slim.annotations;
  }
  return { ...obj, metadata: slim };
}

/**
 * Chains transforms left to right: `composeTransforms(a, b)(x)` is `b(a(x))`.
 * With no transforms it returns the identity.
 */
export function composeTransforms<T>(...transforms: readonly Transform<T>[]): Transform<T> {
  if (transforms.length === 0) return (obj) => obj;
  if (transforms.length === 1) return transforms[0];
  return (obj) => transforms.reduce((acc, transform) => transform(acc), obj);
}
