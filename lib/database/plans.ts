/**
 * The children of a Database as {@link ChildPlan}s, in the order they are
 * made: the Secret (the pods read it), the headless and client Services, the
 * StatefulSet. Pure; the reconciler and the load test's floor writer both
 * use them, so both write the same objects with the same hashes.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";
import type { ChildPlan } from "./children.ts";
import { secretName } from "./names.ts";
import { desiredSecret, PASSWORD_MASK, readPassword } from "./secret.ts";
import { desiredClientService, desiredHeadlessService } from "./services.ts";
import { desiredStatefulSet } from "./statefulset.ts";
import type { Database } from "./types.ts";

/** Inputs of {@link childPlans} besides the Database. */
export interface ChildPlanOptions {
  /** The StatefulSet as cached (its claim template's size is immutable and kept). */
  readonly statefulSet?: StatefulSet;
  /** A new password, asked for only when no Secret exists. */
  readonly newPassword: () => string;
}

/**
 * The plans of `db`'s four children.
 * @throws {RangeError} when the Database lacks name, namespace or uid, or its storage size is invalid
 */
export function childPlans(db: Database, options: ChildPlanOptions): ChildPlan[] {
  const headless = desiredHeadlessService(db);
  const client = desiredClientService(db);
  const statefulSet = (existing: KubeObject | undefined) =>
    desiredStatefulSet(db, {
      secretName: secretName(db),
      existing: existing as StatefulSet | undefined,
    });
  return [
    {
      resource: Resources.secrets,
      template: desiredSecret(db, PASSWORD_MASK),
      // The existing Secret is the live one: its password always wins.
      build: (existing) =>
        desiredSecret(db, readPassword(existing as Secret | undefined) ?? options.newPassword()),
      readsLive: true,
    },
    { resource: Resources.services, template: headless, build: () => headless, readsLive: false },
    { resource: Resources.services, template: client, build: () => client, readsLive: false },
    {
      resource: Resources.statefulSets,
      template: statefulSet(options.statefulSet),
      build: statefulSet,
      readsLive: false,
    },
  ];
}
