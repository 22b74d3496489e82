/**
 * The fields of `ObjectMeta` and `OwnerReference` that pgop's views read, by
 * their numbers in `k8s.io/apimachinery` `generated.proto`: declared once for
 * every view (`projection.ts`, `pods.ts`).
 *
 * @module
 */
import type { FieldSchema, MessageSchema } from "../kube/protobuf.ts";

/** `ObjectMeta` fields kept as they are, by field number. */
export const META_FIELDS = {
  1: { name: "name", type: "string", omitEmpty: true },
  3: { name: "namespace", type: "string", omitEmpty: true },
  5: { name: "uid", type: "string", omitEmpty: true },
  6: { name: "resourceVersion", type: "string", omitEmpty: true },
  7: { name: "generation", type: "int", omitEmpty: true },
  9: { name: "deletionTimestamp", type: "time" },
} as const satisfies Record<number, FieldSchema>;

/** An `OwnerReference`. */
export const OWNER_REFERENCE: MessageSchema = {
  1: { name: "kind", type: "string" },
  3: { name: "name", type: "string" },
  4: { name: "uid", type: "string" },
  5: { name: "apiVersion", type: "string" },
  6: { name: "controller", type: "bool" },
  7: { name: "blockOwnerDeletion", type: "bool" },
};
