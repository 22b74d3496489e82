/**
 * Writing a Database's status: computed by the pure `computeStatus()`, sent
 * only when it changed, through the status subresource with server-side
 * apply, and handed to the cache that reads pgop's own writes.
 *
 * @module
 */
import type { MutationCache } from "../cache/mutation_cache.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeClient } from "../kube/types.ts";
import { computeStatus, type Observed, statusChanged } from "./status.ts";
import { API_VERSION, type Database, type DatabaseStatus, FIELD_MANAGER, KIND } from "./types.ts";

/**
 * Writes `db`'s status from `observed` at `now` (an RFC 3339 time for new
 * condition transitions), only when it differs from the status `db` has.
 */
export async function writeStatus(
  client: KubeClient,
  databases: MutationCache<Database>,
  db: Database,
  observed: Observed,
  options: { readonly now: string; readonly signal: AbortSignal },
): Promise<void> {
  const status = computeStatus(db, observed, options.now);
  if (!statusChanged(db.status, status)) return;
  databases.mutated(await applyStatus(client, db, status, options.signal), db);
}

/**
 * Sends `status` as `db`'s whole status, through the status subresource with
 * server-side apply as pgop's field manager; returns the Database written.
 * The load test's floor sends its statuses with it too: the same request.
 */
export function applyStatus(
  client: KubeClient,
  db: Database,
  status: DatabaseStatus,
  signal: AbortSignal,
): Promise<Database> {
  return client.apply<Database>(Resources.databases, {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: db.metadata?.name, namespace: db.metadata?.namespace },
    status,
  } as Database, { fieldManager: FIELD_MANAGER, force: true, subresource: "status", signal });
}
