/**
 * The children of a Database as {@link ChildPlan}s, in the order they are
 * made: the credentials and replication Secrets (the pods read them), the
 * headless, client, read-write and read-only Services, the StatefulSet
 * (pods run by the instance script, see `docs/replication.md`). Pure; the reconciler and the load test's floor writer both
 * use them, so both write the same objects with the same hashes.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";
import type { ChildPlan } from "./children.ts";
import { podName, secretName } from "./names.ts";
import { replicasToRun } from "./instances.ts";
import { withReplication } from "./replication_pod.ts";
import { replicationSecretPlan, withReadOnlyKeys } from "./replication_secret.ts";
import {
  desiredPrimaryClientService,
  desiredReadOnlyService,
  desiredReadWriteService,
} from "./role_services.ts";
import { desiredSecret, PASSWORD_MASK, readPassword } from "./secret.ts";
import { desiredHeadlessService } from "./services.ts";
import { desiredStatefulSet } from "./statefulset.ts";
import type { Database } from "./types.ts";

/** Inputs of {@link childPlans} besides the Database. */
export interface ChildPlanOptions {
  /** The StatefulSet as cached (its claim template's size is immutable and kept). */
  readonly statefulSet?: StatefulSet;
  /** A new password, asked for only when a Secret (credentials or replication) does not exist. */
  readonly newPassword: () => string;
  /**
   * The pod that is primary (`planRoles()`); the StatefulSet keeps enough pods
   * for it. Default: `status.primary`, else pod 0.
   */
  readonly primary?: string;
}

/**
 * The plans of `db`'s seven children.
 * @throws {RangeError} when the Database lacks name, namespace or uid, or its storage size is invalid
 */
export function childPlans(db: Database, options: ChildPlanOptions): ChildPlan[] {
  const primary = options.primary ?? db.status?.primary ?? podName(db, 0);
  const statefulSet = (existing: KubeObject | undefined) => {
    const sts = withReplication(
      desiredStatefulSet(db, {
        secretName: secretName(db),
        existing: existing as StatefulSet | undefined,
      }),
      db,
    );
    return { ...sts, spec: { ...sts.spec, replicas: replicasToRun(db, primary) } } as StatefulSet;
  };
  const credentials = (password: string) =>
    withReadOnlyKeys(desiredSecret(db, password), db, password);
  const service = (template: KubeObject): ChildPlan => ({
    resource: Resources.services,
    template,
    build: () => template,
    readsLive: false,
  });
  return [
    {
      resource: Resources.secrets,
      template: credentials(PASSWORD_MASK),
      // The existing Secret is the live one: its password always wins.
      build: (existing) =>
        credentials(readPassword(existing as Secret | undefined) ?? options.newPassword()),
      readsLive: true,
    },
    replicationSecretPlan(db, options.newPassword),
    service(desiredHeadlessService(db)),
    service(desiredPrimaryClientService(db)),
    service(desiredReadWriteService(db)),
    service(desiredReadOnlyService(db)),
    {
      resource: Resources.statefulSets,
      template: statefulSet(options.statefulSet),
      build: statefulSet,
      readsLive: false,
    },
  ];
}
