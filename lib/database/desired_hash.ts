/**
 * The hash pgop stamps on every child it writes: a digest of the desired
 * object, so that "does the child still match its Database?" is answered from
 * the cached projection (see `projection.ts`) without keeping the object.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { KubeObject } from "../kube/types.ts";
import { DESIRED_HASH_ANNOTATION } from "./projection.ts";

/**
 * A digest of `desired`: 128 bits of SHA-256 over its JSON, base64url (22
 * characters). The builders make objects with a fixed key order, so equal
 * objects give equal hashes.
 */
export function desiredHash(desired: KubeObject): string {
  return createHash("sha256").update(JSON.stringify(desired)).digest("base64url").slice(0, 22);
}

/** The hash stamped on `obj`, if any. */
export function stampedHash(obj: KubeObject | undefined): string | undefined {
  return obj?.metadata?.annotations?.[DESIRED_HASH_ANNOTATION];
}

/** A copy of `obj` with the hash annotation set to `hash` (other annotations kept). */
export function stamp<T extends KubeObject>(obj: T, hash: string): T {
  const metadata = obj.metadata ?? {};
  return {
    ...obj,
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, [DESIRED_HASH_ANNOTATION]: hash },
    },
  };
}
