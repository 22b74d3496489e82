/**
 * The StatefulSet of a Database: desired state, pure.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { Probe } from "kubernetes-types/core/v1.d.ts";
import { childLabels, childMetadata, selectorLabels } from "./meta.ts";
import { DATA_VOLUME, headlessServiceName, statefulSetName } from "./names.ts";
import { canonicalizeQuantity } from "./quantity.ts";
import { SECRET_KEYS } from "./secret.ts";
import { POSTGRES_PORT_NAME } from "./services.ts";
import { type Database, DEFAULT_REPLICAS, POSTGRES_PORT } from "./types.ts";

/** Name of the PostgreSQL container. */
export const POSTGRES_CONTAINER = "postgres";
/** Where the data volume is mounted. */
export const DATA_MOUNT_PATH = "/var/lib/postgresql/data";
/**
 * PGDATA: a directory below the mount point, because initdb refuses a non-empty
 * directory and a fresh volume's root may hold `lost+found`.
 */
export const PGDATA = `${DATA_MOUNT_PATH}/pgdata`;
/** uid and gid of the `postgres` user in the Debian-based official images. */
export const POSTGRES_UID = 999;

/** Options of {@link desiredStatefulSet}. */
export interface StatefulSetOptions {
  /** Name of the credentials Secret (`secretName(db)`). */
  readonly secretName: string;
  /**
   * The StatefulSet as it exists now, if it does. Volume claim templates are
   * immutable, so its storage request is kept; growing the volumes is done by
   * patching each PersistentVolumeClaim (`claimName(db, i)`) to
   * {@link storageRequest}.
   */
  readonly existing?: StatefulSet;
}

/**
 * `spec.storage.size` in the canonical form the API server stores ("10Gi").
 * @throws {RangeError} when the size is not a whole, positive number of bytes
 */
export function storageRequest(db: Database): string {
  const size: unknown = db.spec.storage?.size;
  if (typeof size === "number" && Number.isSafeInteger(size) && size > 0) {
    return canonicalizeQuantity(String(size));
  }
  if (typeof size === "string") {
    const canonical = canonicalizeQuantity(size);
    if (!canonical.startsWith("-") && canonical !== "0") return canonical;
  }
  throw new RangeError(`Storage size ${JSON.stringify(size)} is not a positive number of bytes`);
}

/**
 * The storage request of the existing StatefulSet's `data` claim template, if any.
 */
export function existingClaimStorage(existing: StatefulSet | undefined): string | undefined {
  const template = existing?.spec?.volumeClaimTemplates?.find((t) =>
    t.metadata?.name === DATA_VOLUME
  );
  const storage = template?.spec?.resources?.requests?.storage;
  return typeof storage === "string" ? storage : undefined;
}

/**
 * A `pg_isready` exec probe. Through a shell because the kubelet expands
 * `$(VAR)` in probe commands only for env vars with literal values, and these
 * come from the Secret. A new object per call so callers may mutate results.
 */
function isReadyProbe(periodSeconds: number, failureThreshold: number): Probe {
  return {
    exec: {
      command: [
        "sh",
        "-c",
        `exec pg_isready -U "$POSTGRES_USER" -d "$POSTGRES_DB" -h 127.0.0.1 -p ${POSTGRES_PORT}`,
      ],
    },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  };
}

function secretEnv(name: string, secret: string, key: string) {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

/**
 * The server-side-apply body of the StatefulSet `<name>`: `replicas` pods of
 * `spec.image` behind the headless Service, `OrderedReady` (pod i+1 starts
 * once pod i is ready, the safe order for databases), rolling updates, one
 * ReadWriteOnce volume `data` per pod of `spec.storage.size`, credentials from
 * the Secret, `pg_isready` probes, requests of 100m CPU and 256Mi memory with a
 * 512Mi memory limit and no CPU limit (throttling hurts latency), and a pod
 * security context that meets the "restricted" Pod Security Standard as uid
 * 999. Volumes are kept when the StatefulSet is deleted (retention policy left
 * at its default, Retain).
 *
 * Caveat: images whose `postgres` user is not uid 999 (the Alpine variants use
 * 70) still run, as a user without a passwd entry.
 *
 * @throws {RangeError} when the Database lacks name, namespace or uid, or its
 *   storage size is invalid, or `secretName` is empty
 */
export function desiredStatefulSet(db: Database, options: StatefulSetOptions): StatefulSet {
  if (typeof options.secretName !== "string" || options.secretName === "") {
    throw new RangeError("secretName must be a non-empty string");
  }
  const storage = existingClaimStorage(options.existing) ?? storageRequest(db);
  const secret = options.secretName;
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: childMetadata(db, statefulSetName(db)),
    spec: {
      serviceName: headlessServiceName(db),
      replicas: db.spec.replicas ?? DEFAULT_REPLICAS,
      selector: { matchLabels: selectorLabels(db) },
      podManagementPolicy: "OrderedReady",
      // The volumes go with the Database (its Secret, and so its password, does
      // too: data kept without its password could not be opened by a new
      // Database of the same name); scaling down keeps them.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
      updateStrategy: { type: "RollingUpdate" },
      template: {
        metadata: { labels: childLabels(db) },
        spec: {
          // Service links add env vars per Service in the namespace: noise at scale.
          enableServiceLinks: false,
          securityContext: {
            runAsUser: POSTGRES_UID,
            runAsGroup: POSTGRES_UID,
            fsGroup: POSTGRES_UID,
            fsGroupChangePolicy: "OnRootMismatch",
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [{
            name: POSTGRES_CONTAINER,
            image: db.spec.image,
            ports: [{ name: POSTGRES_PORT_NAME, containerPort: POSTGRES_PORT, protocol: "TCP" }],
            env: [
              secretEnv("POSTGRES_USER", secret, SECRET_KEYS.username),
              secretEnv("POSTGRES_PASSWORD", secret, SECRET_KEYS.password),
              secretEnv("POSTGRES_DB", secret, SECRET_KEYS.dbname),
              { name: "PGDATA", value: PGDATA },
            ],
            volumeMounts: [{ name: DATA_VOLUME, mountPath: DATA_MOUNT_PATH }],
            // Up to 5 minutes for initdb or crash recovery before liveness applies,
            // asked every second: the pod is Ready within a second of PostgreSQL
            // accepting connections (with a 10 s period it waited ~9 s more on
            // every start). Once it succeeds this probe stops; the readiness
            // probe runs at once then (the kubelet triggers it), so its period
            // only paces later checks.
            startupProbe: isReadyProbe(1, 300),
            readinessProbe: isReadyProbe(5, 3),
            // Restart only after a minute without answers: a busy server must not be killed.
            livenessProbe: isReadyProbe(10, 6),
            resources: {
              requests: { cpu: "100m", memory: "256Mi" },
              limits: { memory: "512Mi" },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { drop: ["ALL"] },
            },
          }],
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: DATA_VOLUME, labels: selectorLabels(db) },
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage } },
        },
      }],
    },
  };
}
