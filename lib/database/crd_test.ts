import assert from "node:assert/strict";
import { parse } from "yaml";
import { DNS_1035_LABEL, MAX_DATABASE_NAME_LENGTH } from "./names.ts";
import { DEFAULT_REPLICAS, GROUP, KIND, PHASES, VERSION } from "./types.ts";
import type { Condition, DatabaseSpec, DatabaseStatus, InstanceStatus } from "./types.ts";
import {
  ENVIRONMENT_MAX_LENGTH,
  ENVIRONMENT_PATTERN,
  IDENTIFIER_PATTERN,
  IMAGE_MAX_LENGTH,
  IMAGE_PATTERN,
  MAX_REPLICAS,
  MIN_REPLICAS,
  RESERVED_DATABASE_NAMES,
  RESERVED_USERNAME_PREFIX,
  RESERVED_USERNAMES,
  STORAGE_SIZE_PATTERN,
} from "./validation.ts";
import { MAX_MESSAGE_LENGTH } from "./status.ts";
import { Resources } from "../kube/resource.ts";
import { ROLES } from "./roles.ts";

/** The parts of a JSON schema these tests read. */
interface Schema {
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  pattern?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  enum?: unknown[];
  anyOf?: Schema[];
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: Array<{ rule: string; message?: string }>;
}

const crd = parse(
  await Deno.readTextFile(new URL("../../crds/database.yaml", import.meta.url)),
) as {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { plural: string; kind: string; shortNames: string[]; categories: string[] };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: unknown };
      selectableFields?: Array<{ jsonPath: string }>;
      additionalPrinterColumns?: Array<{ name: string; type: string; jsonPath: string }>;
      schema: { openAPIV3Schema: Schema };
    }>;
  };
};
const [version] = crd.spec.versions;
const root = version.schema.openAPIV3Schema;
const spec = root.properties?.spec ?? {};
const status = root.properties?.status ?? {};
const prop = (schema: Schema, name: string): Schema => schema.properties?.[name] ?? {};
const rules = (schema: Schema) => (schema["x-kubernetes-validations"] ?? []).map((v) => v.rule);

Deno.test("CRD identifies the Database resource of types.ts and resource.ts", () => {
  assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1");
  assert.equal(crd.kind, "CustomResourceDefinition");
  assert.equal(crd.metadata.name, `${Resources.databases.plural}.${GROUP}`);
  assert.equal(crd.spec.group, GROUP);
  assert.equal(crd.spec.scope, "Namespaced");
  assert.equal(crd.spec.names.kind, KIND);
  assert.equal(crd.spec.names.plural, Resources.databases.plural);
  assert.deepEqual(crd.spec.names.shortNames, ["db"]);
  assert.deepEqual(crd.spec.names.categories, ["all", "pgop"]);
  assert.equal(crd.spec.versions.length, 1);
  assert.equal(version.name, VERSION);
  assert.equal(version.served && version.storage, true);
});

Deno.test("CRD has the status subresource, selectable environment and printer columns", () => {
  assert.deepEqual(version.subresources?.status, {});
  assert.deepEqual(version.selectableFields, [{ jsonPath: ".spec.environment" }]);
  assert.deepEqual(
    version.additionalPrinterColumns?.map((c) => [c.name, c.jsonPath]),
    [
      ["Phase", ".status.phase"],
      ["Ready", ".status.readyReplicas"],
      ["Replicas", ".spec.replicas"],
      ["Primary", ".status.primary"],
      ["Environment", ".spec.environment"],
      ["Age", ".metadata.creationTimestamp"],
    ],
  );
});

Deno.test("CRD spec properties and required fields match DatabaseSpec", () => {
  const sample: Required<DatabaseSpec> = {
    image: "postgres:14",
    replicas: 1,
    databaseName: "db1",
    username: "admin",
    storage: { size: "10Gi" },
    environment: "production",
    replication: { synchronous: 0 },
  };
  assert.deepEqual(Object.keys(spec.properties ?? {}).sort(), Object.keys(sample).sort());
  assert.deepEqual(
    Object.keys(prop(spec, "replication").properties ?? {}),
    Object.keys(sample.replication),
  );
  assert.deepEqual(
    Object.keys(prop(spec, "storage").properties ?? {}),
    Object.keys(sample.storage),
  );
  assert.deepEqual(root.required, ["spec"]);
  assert.deepEqual(spec.required?.slice().sort(), ["databaseName", "image", "storage", "username"]);
  assert.deepEqual(prop(spec, "storage").required, ["size"]);
});

Deno.test("CRD status properties match DatabaseStatus and Condition", () => {
  const sample: Required<DatabaseStatus> = {
    phase: "Ready",
    readyReplicas: 1,
    replicas: 1,
    observedGeneration: 1,
    primary: "test-db-1-0",
    instances: [{ name: "test-db-1-0", role: "primary", ready: true }],
    lastFailover: {
      from: "test-db-1-0",
      to: "test-db-1-1",
      time: "2026-01-01T00:00:00Z",
      reason: "",
    },
    conditions: [],
  };
  const condition: Required<Condition> = {
    type: "Ready",
    status: "True",
    reason: "AllReplicasReady",
    message: "",
    lastTransitionTime: "2026-01-01T00:00:00Z",
    observedGeneration: 1,
  };
  assert.deepEqual(Object.keys(status.properties ?? {}).sort(), Object.keys(sample).sort());
  assert.deepEqual(prop(status, "phase").enum, [...PHASES]);
  const instance = prop(status, "instances").items ?? {};
  const instanceSample: Required<InstanceStatus> = {
    name: "test-db-1-1",
    role: "replica",
    ready: true,
    lagBytes: 0,
  };
  assert.deepEqual(Object.keys(instance.properties ?? {}), Object.keys(instanceSample));
  assert.deepEqual(prop(instance, "role").enum, [...ROLES]);
  const conditions = prop(status, "conditions");
  assert.equal(conditions["x-kubernetes-list-type"], "map");
  assert.deepEqual(conditions["x-kubernetes-list-map-keys"], ["type"]);
  const item = conditions.items ?? {};
  assert.deepEqual(Object.keys(item.properties ?? {}).sort(), Object.keys(condition).sort());
  assert.deepEqual(prop(item, "status").enum, ["True", "False", "Unknown"]);
  assert.equal(prop(item, "message").maxLength, MAX_MESSAGE_LENGTH);
  assert.deepEqual(item.required?.slice().sort(), [
    "lastTransitionTime",
    "message",
    "reason",
    "status",
    "type",
  ]);
});

Deno.test("CRD patterns and bounds equal those of validation.ts and names.ts", () => {
  const name = prop(prop(root, "metadata"), "name");
  assert.equal(name.pattern, DNS_1035_LABEL.source);
  assert.equal(name.maxLength, MAX_DATABASE_NAME_LENGTH);
  assert.equal(prop(spec, "image").pattern, IMAGE_PATTERN);
  assert.equal(prop(spec, "image").maxLength, IMAGE_MAX_LENGTH);
  assert.equal(prop(spec, "databaseName").pattern, IDENTIFIER_PATTERN);
  assert.equal(prop(spec, "username").pattern, IDENTIFIER_PATTERN);
  assert.equal(prop(spec, "environment").pattern, ENVIRONMENT_PATTERN);
  assert.equal(prop(spec, "environment").maxLength, ENVIRONMENT_MAX_LENGTH);
  const replicas = prop(spec, "replicas");
  assert.deepEqual([replicas.type, replicas.minimum, replicas.maximum, replicas.default], [
    "integer",
    MIN_REPLICAS,
    MAX_REPLICAS,
    DEFAULT_REPLICAS,
  ]);
  const size = prop(prop(spec, "storage"), "size");
  assert.equal(size.pattern, STORAGE_SIZE_PATTERN);
  assert.equal(size["x-kubernetes-int-or-string"], true);
  assert.deepEqual(size.anyOf, [{ type: "integer" }, { type: "string" }]);
});

Deno.test("CRD CEL rules cover immutability, shrinking and reserved names", () => {
  assert.ok(rules(prop(spec, "databaseName")).includes("self == oldSelf"));
  assert.ok(rules(prop(spec, "username")).includes("self == oldSelf"));
  const sizeRules = rules(prop(prop(spec, "storage"), "size")).join("\n");
  assert.match(sizeRules, /compareTo\(quantity\(string\(oldSelf\)\)\) >= 0/);
  assert.match(sizeRules, /quantity\('1Ei'\)/);
  const dbRules = rules(prop(spec, "databaseName")).join("\n");
  for (const reserved of RESERVED_DATABASE_NAMES) {
    assert.ok(dbRules.includes(`'${reserved}'`), reserved);
  }
  const userRules = rules(prop(spec, "username")).join("\n");
  for (const reserved of RESERVED_USERNAMES) {
    assert.ok(userRules.includes(`'${reserved}'`), reserved);
  }
  assert.ok(userRules.includes(`startsWith('${RESERVED_USERNAME_PREFIX}')`));
});

Deno.test("CRD schema keeps no unknown fields anywhere", () => {
  const walk = (schema: Schema, path: string) => {
    assert.notEqual(schema["x-kubernetes-preserve-unknown-fields"], true, path);
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      walk(child, `${path}.${key}`);
    }
    if (schema.items) walk(schema.items, `${path}[]`);
  };
  walk(root, "");
});
