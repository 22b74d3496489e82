import assert from "node:assert/strict";
import { compactScript } from "./instance_script.ts";
import { POD_META_VOLUME, scriptCommand, withReplication } from "./replication_pod.ts";
import { desiredStatefulSet } from "./statefulset.ts";
import type { Database } from "./types.ts";

const db: Database = {
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { name: "test-db-1", namespace: "prod", uid: "uid-1" },
  spec: {
    image: "postgres:14",
    replicas: 3,
    databaseName: "db1",
    username: "admin",
    storage: { size: "10Gi" },
  },
};

const base = () => desiredStatefulSet(db, { secretName: "test-db-1-app" });

Deno.test("withReplication() runs the container through the instance script", () => {
  const sts = withReplication(base(), db);
  const [container] = sts.spec?.template.spec?.containers ?? [];
  assert.deepEqual(container.command, [
    "sh",
    "-c",
    'eval "$PGOP_SCRIPT"',
    "pgop-instance",
    "run",
  ]);
  assert.deepEqual(container.readinessProbe?.exec?.command, scriptCommand("ready"));
  assert.deepEqual(container.livenessProbe?.exec?.command, scriptCommand("alive"));
  assert.deepEqual(container.startupProbe?.exec?.command, scriptCommand("alive"));
  // Probe timing is the base template's.
  const before = base().spec?.template.spec?.containers[0];
  assert.equal(container.readinessProbe?.periodSeconds, before?.readinessProbe?.periodSeconds);
  assert.equal(container.startupProbe?.failureThreshold, before?.startupProbe?.failureThreshold);
  assert.equal(container.terminationMessagePolicy, "File");
});

Deno.test("withReplication() adds the replication environment after the image's", () => {
  const sts = withReplication(base(), db);
  const env = sts.spec?.template.spec?.containers[0].env ?? [];
  assert.deepEqual(env.map((e) => e.name), [
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "PGDATA",
    "PGOP_SCRIPT",
    "PGOP_POD_NAME",
    "PGOP_PRIMARY_HOST",
    "PGOP_REPLICATION_USER",
    "PGOP_REPLICATION_PASSWORD",
  ]);
  const byName = new Map(env.map((e) => [e.name, e]));
  assert.equal(byName.get("PGOP_SCRIPT")?.value, compactScript());
  assert.deepEqual(byName.get("PGOP_POD_NAME")?.valueFrom, {
    fieldRef: { fieldPath: "metadata.name" },
  });
  assert.equal(byName.get("PGOP_PRIMARY_HOST")?.value, "test-db-1-rw");
  assert.equal(byName.get("PGOP_REPLICATION_USER")?.value, "pgop_replication");
  assert.deepEqual(byName.get("PGOP_REPLICATION_PASSWORD")?.valueFrom, {
    secretKeyRef: { name: "test-db-1-replication", key: "password" },
  });
});

Deno.test("withReplication() mounts the pod's labels and annotations read-only", () => {
  const sts = withReplication(base(), db);
  const pod = sts.spec?.template.spec;
  assert.deepEqual(pod?.volumes, [{
    name: POD_META_VOLUME,
    downwardAPI: {
      items: [
        { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
        { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
      ],
    },
  }]);
  assert.deepEqual(pod?.containers[0].volumeMounts?.at(-1), {
    name: POD_META_VOLUME,
    mountPath: "/etc/pgop",
    readOnly: true,
  });
});

Deno.test("withReplication() leaves its input alone and keeps everything else", () => {
  const input = base();
  const copy = structuredClone(input);
  const sts = withReplication(input, db);
  assert.deepEqual(input, copy);
  assert.deepEqual(sts.metadata, copy.metadata);
  assert.deepEqual(sts.spec?.volumeClaimTemplates, copy.spec?.volumeClaimTemplates);
  assert.deepEqual(sts.spec?.template.metadata, copy.spec?.template.metadata);
  assert.equal(sts.spec?.replicas, 3);
  assert.equal(sts.spec?.podManagementPolicy, "Parallel");
});

Deno.test("withReplication() refuses a template without the PostgreSQL container", () => {
  const input = base();
  const podSpec = input.spec?.template.spec;
  if (podSpec) podSpec.containers[0].name = "other";
  assert.throws(() => withReplication(input, db), RangeError);
});
