/**
 * What pgop decodes of its children when it reads them as protobuf: the fields
 * their projections keep (see `projection.ts`), by protobuf field number
 * (from `k8s.io/api` and `k8s.io/apimachinery` `generated.proto`). Everything
 * else (a StatefulSet's pod template, a Secret's data, a Service's spec) is
 * skipped unread. Fields the JSON encoding omits when empty are marked
 * `omitEmpty`, so an object reads the same in either encoding.
 *
 * @module
 */
import type { MessageSchema } from "../kube/protobuf.ts";

const OWNER_REFERENCE: MessageSchema = {
  1: { name: "kind", type: "string" },
  3: { name: "name", type: "string" },
  4: { name: "uid", type: "string" },
  5: { name: "apiVersion", type: "string" },
  6: { name: "controller", type: "bool" },
  7: { name: "blockOwnerDeletion", type: "bool" },
};

const MANAGED_FIELDS_ENTRY: MessageSchema = {
  1: { name: "manager", type: "string" },
  2: { name: "operation", type: "string" },
  3: { name: "apiVersion", type: "string" },
  // Which top-level fields each manager owns is all foreignSpecOwners reads.
  7: { name: "fieldsV1", type: "jsonKeys" },
  8: { name: "subresource", type: "string" },
};

/** `meta.v1.ObjectMeta`: what a child's projection keeps. */
const CHILD_METADATA: MessageSchema = {
  1: { name: "name", type: "string", omitEmpty: true },
  3: { name: "namespace", type: "string", omitEmpty: true },
  5: { name: "uid", type: "string", omitEmpty: true },
  6: { name: "resourceVersion", type: "string", omitEmpty: true },
  7: { name: "generation", type: "int", omitEmpty: true },
  9: { name: "deletionTimestamp", type: "time" },
  11: { name: "labels", type: "map", value: "string" },
  12: { name: "annotations", type: "map", value: "string" },
  13: { name: "ownerReferences", type: "message", schema: OWNER_REFERENCE, repeated: true },
  17: { name: "managedFields", type: "message", schema: MANAGED_FIELDS_ENTRY, repeated: true },
};

/** A Secret or a Service: metadata only (field 1 of both). */
export const METADATA_VIEW: MessageSchema = {
  1: { name: "metadata", type: "message", schema: CHILD_METADATA },
};

/** A StatefulSet: metadata, `spec.replicas`, the claim templates' sizes, the replica counts. */
export const STATEFULSET_VIEW: MessageSchema = {
  ...METADATA_VIEW,
  2: {
    name: "spec",
    type: "message",
    schema: {
      1: { name: "replicas", type: "int" },
      4: {
        name: "volumeClaimTemplates",
        type: "message",
        repeated: true,
        schema: {
          1: { name: "metadata", type: "message", schema: { 1: { name: "name", type: "string" } } },
          2: {
            name: "spec",
            type: "message",
            schema: {
              2: {
                name: "resources",
                type: "message",
                schema: { 2: { name: "requests", type: "map", value: "quantity" } },
              },
            },
          },
        },
      },
    },
  },
  3: {
    name: "status",
    type: "message",
    schema: {
      1: { name: "observedGeneration", type: "int", omitEmpty: true },
      2: { name: "replicas", type: "int" },
      3: { name: "readyReplicas", type: "int", omitEmpty: true },
      4: { name: "currentReplicas", type: "int", omitEmpty: true },
      5: { name: "updatedReplicas", type: "int", omitEmpty: true },
      11: { name: "availableReplicas", type: "int" },
    },
  },
};

const WAITING_OR_TERMINATED: MessageSchema = {
  1: {
    name: "waiting",
    type: "message",
    schema: {
      1: { name: "reason", type: "string", omitEmpty: true },
      2: { name: "message", type: "string", omitEmpty: true },
    },
  },
  3: {
    name: "terminated",
    type: "message",
    schema: {
      1: { name: "exitCode", type: "int" },
      3: { name: "reason", type: "string", omitEmpty: true },
      4: { name: "message", type: "string", omitEmpty: true },
    },
  },
};

/**
 * A Pod: the metadata `projectPod` keeps (no annotations, no managedFields),
 * phase, reason, message, conditions and container states (`pods.ts`).
 */
export const POD_VIEW: MessageSchema = {
  1: {
    name: "metadata",
    type: "message",
    schema: {
      1: CHILD_METADATA[1],
      3: CHILD_METADATA[3],
      6: CHILD_METADATA[6],
      9: CHILD_METADATA[9],
      11: CHILD_METADATA[11],
      13: CHILD_METADATA[13],
    },
  },
  3: {
    name: "status",
    type: "message",
    schema: {
      1: { name: "phase", type: "string", omitEmpty: true },
      2: {
        name: "conditions",
        type: "message",
        repeated: true,
        schema: {
          1: { name: "type", type: "string" },
          2: { name: "status", type: "string" },
          5: { name: "reason", type: "string", omitEmpty: true },
          6: { name: "message", type: "string", omitEmpty: true },
        },
      },
      3: { name: "message", type: "string", omitEmpty: true },
      4: { name: "reason", type: "string", omitEmpty: true },
      8: {
        name: "containerStatuses",
        type: "message",
        repeated: true,
        schema: {
          1: { name: "name", type: "string" },
          2: { name: "state", type: "message", schema: WAITING_OR_TERMINATED },
          4: { name: "ready", type: "bool" },
          5: { name: "restartCount", type: "int" },
        },
      },
    },
  },
};
