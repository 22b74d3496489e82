/**
 * The headless Service of a Database (the StatefulSet's pod DNS): desired
 * state, pure. The Services clients use follow the roles (`role_services.ts`).
 *
 * @module
 */
import type { Service, ServicePort } from "kubernetes-types/core/v1.d.ts";
import { childMetadata, selectorLabels } from "./meta.ts";
import { headlessServiceName } from "./names.ts";
import { type Database, POSTGRES_PORT } from "./types.ts";

/** Name of the PostgreSQL port on the container and on every Service. */
export const POSTGRES_PORT_NAME = "postgres";

/** The one port of every Service of a Database; a new array on each call (callers may mutate it). */
export function servicePorts(): ServicePort[] {
  return [{
    name: POSTGRES_PORT_NAME,
    port: POSTGRES_PORT,
    targetPort: POSTGRES_PORT_NAME,
    protocol: "TCP",
  }];
}

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
      ports: servicePorts(),
    },
  };
}
