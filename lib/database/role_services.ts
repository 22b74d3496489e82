/**
 * The Services that follow the roles (`docs/replication.md`): `<name>-rw` and
 * the existing client Service `<name>` select the pod labelled primary,
 * `<name>-ro` the pods labelled replica. Only ready pods are endpoints, and
 * readiness is "serves its role" (a replica: streaming), so no Service needs a
 * write when the primary changes: pgop relabels pods. Pure.
 *
 * @module
 */
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { childMetadata, selectorLabels } from "./meta.ts";
import { clientServiceName, readOnlyServiceName, readWriteServiceName } from "./names.ts";
import { type Role, ROLE_LABEL } from "./roles.ts";
import { servicePorts } from "./services.ts";
import type { Database } from "./types.ts";

function roleService(db: Database, name: string, role: Role): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMetadata(db, name),
    spec: {
      type: "ClusterIP",
      selector: { ...selectorLabels(db), [ROLE_LABEL]: role },
      ports: servicePorts(),
    },
  };
}

/**
 * The server-side-apply body of `<name>-rw` (ClusterIP, port 5432): the
 * primary, for writes and for the standbys to stream from.
 * @throws {RangeError} when the Database lacks name, namespace or uid
 */
export function desiredReadWriteService(db: Database): Service {
  return roleService(db, readWriteServiceName(db), "primary");
}

/**
 * The server-side-apply body of `<name>-ro` (ClusterIP, port 5432): the
 * streaming standbys, for reads that tolerate replication lag. No endpoints
 * while there are no standbys (`replicas: 1`).
 * @throws {RangeError} when the Database lacks name, namespace or uid
 */
export function desiredReadOnlyService(db: Database): Service {
  return roleService(db, readOnlyServiceName(db), "replica");
}

/**
 * The client Service `<name>` (the Secret's `host`) once roles exist: the same
 * selection as `<name>-rw`.
 * @throws {RangeError} when the Database lacks name, namespace or uid
 */
export function desiredPrimaryClientService(db: Database): Service {
  return roleService(db, clientServiceName(db), "primary");
}
