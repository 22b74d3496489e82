/**
 * The pod template of a replicated Database: the StatefulSet of
 * `desiredStatefulSet()` with pgop's instance script as the container's
 * entrypoint and probes, the pod's own labels and annotations mounted through
 * the downward API, and the replication settings in its environment
 * (`docs/replication.md`). Pure.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type {
  Container,
  EnvVar,
  PodAntiAffinity,
  Probe,
  Volume,
} from "kubernetes-types/core/v1.d.ts";
import { compactScript } from "./instance_script.ts";
import { readWriteServiceName, replicationSecretName } from "./names.ts";
import { REPLICATION_SECRET_KEYS } from "./replication_secret.ts";
import { POD_META_PATH, REPLICATION_USER } from "./roles.ts";
import { POSTGRES_CONTAINER } from "./statefulset.ts";
import { type Database, LABEL_INSTANCE } from "./types.ts";

/** Name of the downward-API volume holding the pod's labels and annotations. */
export const POD_META_VOLUME = "pod-meta";

/** The environment variable that carries the instance script, once per pod template. */
export const SCRIPT_ENV = "PGOP_SCRIPT";

/** The compact script, made once: every reconcile builds the template (and hashes it). */
const SCRIPT = compactScript();

/** The container's command for a subcommand of the instance script (`run`, `ready`, `alive`). */
export function scriptCommand(subcommand: "run" | "ready" | "alive"): string[] {
  return ["sh", "-c", `eval "$${SCRIPT_ENV}"`, "pgop-instance", subcommand];
}

function withCommand(probe: Probe | undefined, subcommand: "ready" | "alive"): Probe | undefined {
  if (probe === undefined) return undefined;
  const { exec: _exec, ...rest } = probe;
  return { ...rest, exec: { command: scriptCommand(subcommand) } };
}

/** The environment the instance script reads besides the image's `POSTGRES_*` and `PGDATA`. */
export function replicationEnv(db: Database): EnvVar[] {
  return [
    { name: SCRIPT_ENV, value: SCRIPT },
    { name: "PGOP_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "PGOP_PRIMARY_HOST", value: readWriteServiceName(db) },
    { name: "PGOP_REPLICATION_USER", value: REPLICATION_USER },
    {
      name: "PGOP_REPLICATION_PASSWORD",
      valueFrom: {
        secretKeyRef: { name: replicationSecretName(db), key: REPLICATION_SECRET_KEYS.password },
      },
    },
  ];
}

/** The downward-API volume: `labels` and `annotations`, rewritten by the kubelet when they change. */
export function podMetaVolume(): Volume {
  return {
    name: POD_META_VOLUME,
    downwardAPI: {
      items: [
        { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
        { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
      ],
    },
  };
}

/**
 * Preferably one pod of the Database per node: a fail-over needs a standby
 * that did not go down with the primary's node (`docs/failover.md`). Only
 * preferred: with fewer nodes than pods they share, and a pod whose volume
 * is bound to a node goes there anyway.
 */
function spreadOverNodes(db: Database): PodAntiAffinity {
  return {
    preferredDuringSchedulingIgnoredDuringExecution: [{
      weight: 100,
      podAffinityTerm: {
        topologyKey: "kubernetes.io/hostname",
        labelSelector: { matchLabels: { [LABEL_INSTANCE]: db.metadata?.name ?? "" } },
      },
    }],
  };
}

function replicatedContainer(container: Container, db: Database): Container {
  const startupProbe = withCommand(container.startupProbe, "alive");
  const livenessProbe = withCommand(container.livenessProbe, "alive");
  const readinessProbe = withCommand(container.readinessProbe, "ready");
  return {
    ...container,
    command: scriptCommand("run"),
    env: [...(container.env ?? []), ...replicationEnv(db)],
    volumeMounts: [
      ...(container.volumeMounts ?? []),
      { name: POD_META_VOLUME, mountPath: POD_META_PATH, readOnly: true },
    ],
    ...(startupProbe ? { startupProbe } : {}),
    ...(livenessProbe ? { livenessProbe } : {}),
    ...(readinessProbe ? { readinessProbe } : {}),
    // The demoted primary's final LSN reaches pgop through the pod's status.
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
  };
}

/**
 * `statefulSet` (from `desiredStatefulSet(db, …)`) with its PostgreSQL
 * container run by the instance script: command, probes (startup and liveness
 * `alive`, readiness `ready`, their timing kept), environment and the
 * downward-API volume; pods managed in parallel. A new object; the input is
 * not changed.
 *
 * `podManagementPolicy` is immutable: an existing StatefulSet made with
 * OrderedReady must be deleted with orphan propagation and created again (its
 * pods and volumes are adopted through the selector) before this applies.
 *
 * @throws {RangeError} when the template has no PostgreSQL container, or the
 *   Database has no name
 */
export function withReplication(statefulSet: StatefulSet, db: Database): StatefulSet {
  const spec = statefulSet.spec;
  const podSpec = spec?.template.spec;
  if (spec === undefined || podSpec === undefined) {
    throw new RangeError("StatefulSet has no pod template");
  }
  if (!podSpec.containers.some((c) => c.name === POSTGRES_CONTAINER)) {
    throw new RangeError(`Pod template has no container "${POSTGRES_CONTAINER}"`);
  }
  return {
    ...statefulSet,
    spec: {
      ...spec,
      // Not OrderedReady: after all pods were deleted (a drained node), pod 0
      // could be a standby waiting for a primary at a higher ordinal that
      // OrderedReady would only create once pod 0 is Ready: a deadlock.
      podManagementPolicy: "Parallel",
      template: {
        ...spec.template,
        spec: {
          ...podSpec,
          containers: podSpec.containers.map((c) =>
            c.name === POSTGRES_CONTAINER ? replicatedContainer(c, db) : c
          ),
          volumes: [...(podSpec.volumes ?? []), podMetaVolume()],
          affinity: { ...podSpec.affinity, podAntiAffinity: spreadOverNodes(db) },
        },
      },
    },
  };
}
