import assert from "node:assert/strict";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { desiredStatefulSet, existingClaimStorage, PGDATA, storageRequest } from "./statefulset.ts";
import type { Database, DatabaseSpec } from "./types.ts";

function sample(spec: Partial<DatabaseSpec> = {}): Database {
  return {
    apiVersion: "database.example.com/v1",
    kind: "Database",
    metadata: { name: "test-db-1", namespace: "prod", uid: "uid-1" },
    spec: {
      image: "postgres:14",
      replicas: 2,
      databaseName: "db1",
      username: "admin",
      storage: { size: "10Gi" },
      ...spec,
    },
  };
}

const selector = {
  "app.kubernetes.io/name": "postgresql",
  "app.kubernetes.io/instance": "test-db-1",
};
const labels = { ...selector, "app.kubernetes.io/managed-by": "pgop" };

Deno.test("desiredStatefulSet() sets identity, replicas, selector and policies", () => {
  const sts = desiredStatefulSet(sample(), { secretName: "test-db-1-app" });
  assert.equal(sts.apiVersion, "apps/v1");
  assert.equal(sts.kind, "StatefulSet");
  assert.deepEqual(sts.metadata, {
    name: "test-db-1",
    namespace: "prod",
    labels,
    ownerReferences: [{
      apiVersion: "database.example.com/v1",
      kind: "Database",
      name: "test-db-1",
      uid: "uid-1",
      controller: true,
      blockOwnerDeletion: true,
    }],
  });
  assert.equal(sts.spec?.serviceName, "test-db-1-headless");
  assert.equal(sts.spec?.replicas, 2);
  assert.deepEqual(sts.spec?.selector, { matchLabels: selector });
  assert.equal(sts.spec?.podManagementPolicy, "OrderedReady");
  assert.deepEqual(sts.spec?.persistentVolumeClaimRetentionPolicy, {
    whenDeleted: "Delete",
    whenScaled: "Retain",
  });
  assert.deepEqual(sts.spec?.updateStrategy, { type: "RollingUpdate" });
  assert.deepEqual(sts.spec?.template.metadata, { labels });
});

Deno.test("desiredStatefulSet() builds the postgres container", () => {
  const pod = desiredStatefulSet(sample({ image: "registry:5000/pg:16" }), { secretName: "s" }).spec
    ?.template.spec;
  assert.equal(pod?.containers.length, 1);
  const c = pod?.containers[0];
  assert.equal(c?.name, "postgres");
  assert.equal(c?.image, "registry:5000/pg:16");
  assert.deepEqual(c?.ports, [{ name: "postgres", containerPort: 5432, protocol: "TCP" }]);
  assert.deepEqual(c?.env, [
    { name: "POSTGRES_USER", valueFrom: { secretKeyRef: { name: "s", key: "username" } } },
    { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: "s", key: "password" } } },
    { name: "POSTGRES_DB", valueFrom: { secretKeyRef: { name: "s", key: "dbname" } } },
    { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
  ]);
  assert.ok(PGDATA.startsWith(`${c?.volumeMounts?.[0].mountPath}/`));
  assert.deepEqual(c?.volumeMounts, [{ name: "data", mountPath: "/var/lib/postgresql/data" }]);
  assert.deepEqual(c?.resources, {
    requests: { cpu: "100m", memory: "256Mi" },
    limits: { memory: "512Mi" },
  });
  assert.deepEqual(c?.securityContext, {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
  });
  assert.deepEqual(pod?.securityContext, {
    runAsUser: 999,
    runAsGroup: 999,
    fsGroup: 999,
    fsGroupChangePolicy: "OnRootMismatch",
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
  });
  assert.equal(pod?.enableServiceLinks, false);
});

Deno.test("desiredStatefulSet() probes with pg_isready through a shell", () => {
  const c = desiredStatefulSet(sample(), { secretName: "s" }).spec?.template.spec?.containers[0];
  const command = [
    "sh",
    "-c",
    'exec pg_isready -U "$POSTGRES_USER" -d "$POSTGRES_DB" -h 127.0.0.1 -p 5432',
  ];
  const table = [
    [c?.startupProbe, 1, 300],
    [c?.readinessProbe, 5, 3],
    [c?.livenessProbe, 10, 6],
  ] as const;
  for (const [probe, periodSeconds, failureThreshold] of table) {
    assert.deepEqual(probe, {
      exec: { command },
      periodSeconds,
      timeoutSeconds: 5,
      failureThreshold,
    });
  }
  assert.notEqual(c?.startupProbe?.exec?.command, c?.readinessProbe?.exec?.command);
});

Deno.test("desiredStatefulSet() claims spec.storage.size in canonical form", () => {
  const table: Array<[string | number, string]> = [
    ["10Gi", "10Gi"],
    ["1024Mi", "1Gi"],
    ["1.5Gi", "1536Mi"],
    [1073741824, "1073741824"],
    ["1000M", "1G"],
  ];
  for (const [size, storage] of table) {
    const sts = desiredStatefulSet(sample({ storage: { size } }), { secretName: "s" });
    assert.deepEqual(sts.spec?.volumeClaimTemplates, [{
      metadata: { name: "data", labels: selector },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage } } },
    }], String(size));
  }
});

Deno.test("desiredStatefulSet() keeps the existing claim template's storage", () => {
  const existing = desiredStatefulSet(sample({ storage: { size: "10Gi" } }), { secretName: "s" });
  const grown = desiredStatefulSet(sample({ storage: { size: "20Gi" } }), {
    secretName: "s",
    existing,
  });
  assert.equal(grown.spec?.volumeClaimTemplates?.[0].spec?.resources?.requests?.storage, "10Gi");
  assert.equal(existingClaimStorage(existing), "10Gi");
  assert.equal(existingClaimStorage(undefined), undefined);
  assert.equal(
    existingClaimStorage({ spec: { volumeClaimTemplates: [] } } as unknown as StatefulSet),
    undefined,
  );
});

Deno.test("desiredStatefulSet() defaults replicas to 1 and keeps 0", () => {
  const { replicas: _, ...spec } = sample().spec;
  assert.equal(desiredStatefulSet({ ...sample(), spec }, { secretName: "s" }).spec?.replicas, 1);
  assert.equal(desiredStatefulSet(sample({ replicas: 0 }), { secretName: "s" }).spec?.replicas, 0);
});

Deno.test("desiredStatefulSet() is deterministic", () => {
  assert.deepEqual(
    desiredStatefulSet(sample(), { secretName: "s" }),
    desiredStatefulSet(sample(), { secretName: "s" }),
  );
});

Deno.test("desiredStatefulSet() rejects bad input with RangeError", () => {
  assert.throws(() => desiredStatefulSet(sample(), { secretName: "" }), RangeError);
  assert.throws(
    () => desiredStatefulSet({ ...sample(), metadata: { name: "x" } }, { secretName: "s" }),
    RangeError,
  );
  for (const size of ["0", "-1Gi", "abc", "0.5", 0, -5, 1.5]) {
    assert.throws(() => storageRequest(sample({ storage: { size } })), RangeError, String(size));
  }
});
