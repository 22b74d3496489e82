/**
 * The two Services of a Database: desired state, pure.
 *
 * @module
 */
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { childMetadata, selectorLabels } from "./meta.ts";
import { clientServiceName, headlessServiceName, podName } from "./names.ts";
import { type Database, POSTGRES_PORT } from "./types.ts";

/** Name of the PostgreSQL port on the container and on both Services. */
export const POSTGRES_PORT_NAME = "postgres";

/** Label the StatefulSet controller puts on each pod, holding the pod's name. */
export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";

const ports = [{
  name: POSTGRES_PORT_NAME,
  port: POSTGRES_PORT,
  targetPort: POSTGRES_PORT_NAME,
  protocol: "TCP",
}];

/**
 * The server-side-apply body of the headless Service `<name>-headless`, the
 * StatefulSet's governing Service: no cluster IP, and it publishes pods before
 * they are ready so that each pod's DNS name (`<name>-<i>.<name>-headless`)
 * resolves during start-up and recovery. Selects all pods of the Database.
 *
 * @throws {RangeError} when the Database lacks name, namespace or uid
 */
export function desiredHeadlessService(db: Database): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMetadata(db, headlessServiceName(db)),
    spec: {
      type: "ClusterIP",
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(db),
      ports: ports.map((p) => ({ ...p })),
    },
  };
}

/**
 * The server-side-apply body of the client Service `<name>` (type ClusterIP,
 * port 5432 named "postgres") that applications connect to at
 * `<name>.<namespace>.svc`.
 *
 * It selects pod `<name>-0` only: pgop runs plain PostgreSQL without
 * replication, so the replicas are independent servers, and spreading clients
 * over them would split their data. Only ready pods receive traffic.
 *
 * @throws {RangeError} when the Database lacks name, namespace or uid
 */
export function desiredClientService(db: Database): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMetadata(db, clientServiceName(db)),
    spec: {
      type: "ClusterIP",
      selector: { ...selectorLabels(db), [POD_NAME_LABEL]: podName(db, 0) },
      ports: ports.map((p) => ({ ...p })),
    },
  };
}
