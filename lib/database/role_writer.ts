/**
 * Sends a {@link RolePlan}: the pod patches in order, each conditional on the
 * resourceVersion it was planned against, and the removal of a finished
 * switchover request from the Database. The thin shell around the pure
 * `planRoles()`; see `docs/replication.md`.
 *
 * @module
 */
import { Resources } from "../kube/resource.ts";
import type { KubeClient } from "../kube/types.ts";
import { type RolePlan, SWITCHOVER_ANNOTATION } from "./pod_roles.ts";
import { type Database, FIELD_MANAGER } from "./types.ts";

/**
 * Patches the pods of `plan` one after the other (order matters: the old
 * primary is fenced before anything else moves). A pod changed since it was
 * read fails with a conflict (409), which the caller retries like any API
 * error, from a fresh cache. Then, when the plan finished a user's request,
 * removes {@link SWITCHOVER_ANNOTATION} from the Database.
 */
export async function applyRolePlan(
  client: KubeClient,
  db: Database,
  plan: RolePlan,
  signal: AbortSignal,
): Promise<void> {
  const namespace = db.metadata?.namespace;
  for (const { pod, patch, resourceVersion } of plan.patches) {
    const body = resourceVersion === undefined
      ? patch
      : { metadata: { ...patch.metadata, resourceVersion } };
    await client.patch(Resources.pods, pod, body, {
      namespace,
      type: "merge",
      fieldManager: FIELD_MANAGER,
      signal,
    });
  }
  if (plan.switchover !== undefined) {
    await client.patch(Resources.databases, db.metadata?.name ?? "", {
      metadata: { annotations: { [SWITCHOVER_ANNOTATION]: null } },
    }, { namespace, type: "merge", fieldManager: FIELD_MANAGER, signal });
  }
}
