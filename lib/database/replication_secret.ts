/**
 * The Secrets of replication: the replication role's own Secret
 * `<name>-replication`, and the read-only connection keys the credentials
 * Secret gains. Pure; passwords are generated once by the caller, exactly as
 * for the application password (`secret.ts`): an existing Secret's password
 * always wins.
 *
 * @module
 */
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import { Resources } from "../kube/resource.ts";
import type { ChildPlan } from "./children.ts";
import { childMetadata } from "./meta.ts";
import { readOnlyServiceName, replicationSecretName } from "./names.ts";
import { REPLICATION_USER } from "./roles.ts";
import { encodeBase64, PASSWORD_MASK, readPassword } from "./secret.ts";
import { type Database, POSTGRES_PORT } from "./types.ts";

/** The keys of `<name>-replication`; the pods read `password`. */
export const REPLICATION_SECRET_KEYS = { username: "username", password: "password" } as const;

/** The keys the credentials Secret gains: the `<name>-ro` Service's host and a URI to it. */
export const READ_ONLY_KEYS = { host: "ro-host", uri: "ro-uri" } as const;

/**
 * The server-side-apply body of `<name>-replication`: type Opaque, `data`
 * with `username` ({@link REPLICATION_USER}) and `password`. Read by the pods
 * only (`PGOP_REPLICATION_PASSWORD`); applications never need it.
 * @throws {RangeError} when the Database lacks name, namespace or uid, or `password` is empty
 */
export function desiredReplicationSecret(db: Database, password: string): Secret {
  if (typeof password !== "string" || password === "") {
    throw new RangeError("Password must be a non-empty string");
  }
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: childMetadata(db, replicationSecretName(db)),
    type: "Opaque",
    data: {
      [REPLICATION_SECRET_KEYS.username]: encodeBase64(REPLICATION_USER),
      [REPLICATION_SECRET_KEYS.password]: encodeBase64(password),
    },
  };
}

/**
 * The plan of `<name>-replication` for the reconciler, beside `childPlans()`:
 * the live Secret is read before any write, so its password is carried over
 * and `newPassword` is called only when there is none.
 * @throws {RangeError} when the Database lacks name, namespace or uid
 */
export function replicationSecretPlan(db: Database, newPassword: () => string): ChildPlan {
  return {
    resource: Resources.secrets,
    template: desiredReplicationSecret(db, PASSWORD_MASK),
    build: (existing) =>
      desiredReplicationSecret(db, readPassword(existing as Secret | undefined) ?? newPassword()),
    readsLive: true,
  };
}

/**
 * `secret` (a credentials Secret from `desiredSecret(db, password)`) with
 * `ro-host` (`<name>-ro.<namespace>.svc`) and `ro-uri` (the `uri` with that
 * host) added. A new object; `secret` is not changed.
 * @throws {RangeError} when the Database lacks name or namespace
 */
export function withReadOnlyKeys(secret: Secret, db: Database, password: string): Secret {
  const metadata = childMetadata(db, secret.metadata?.name ?? "");
  const host = `${readOnlyServiceName(db)}.${metadata.namespace}.svc`;
  const user = encodeURIComponent(db.spec.username);
  const dbname = encodeURIComponent(db.spec.databaseName);
  const uri = `postgresql://${user}:${
    encodeURIComponent(password)
  }@${host}:${POSTGRES_PORT}/${dbname}`;
  return {
    ...secret,
    data: {
      ...secret.data,
      [READ_ONLY_KEYS.host]: encodeBase64(host),
      [READ_ONLY_KEYS.uri]: encodeBase64(uri),
    },
  };
}
