/**
 * The Lease pgop campaigns for, read the way the tests watch a fail-over.
 *
 * @module
 */
import { isNotFound } from "../../lib/kube/errors.ts";
import type { KubeClient } from "../../lib/kube/types.ts";
import { type LeaderElectionRecord, LeaseLock } from "../../lib/leader/lease_lock.ts";

const DEFAULT_WAIT_MS = 30_000;

/** The Lease pgop campaigns for by default (`--leader-election-id`). */
export const LEASE_NAME = "pgop-leader";
/** Its namespace when neither `--leader-election-namespace` nor POD_NAMESPACE is set. */
export const LEASE_NAMESPACE = "default";

/** The Lease's leader-election record; undefined while the Lease does not exist. */
export async function readLease(
  client: KubeClient,
  lease: { namespace?: string; name?: string } = {},
): Promise<LeaderElectionRecord | undefined> {
  const lock = new LeaseLock(client, {
    namespace: lease.namespace ?? LEASE_NAMESPACE,
    name: lease.name ?? LEASE_NAME,
  });
  try {
    return (await lock.get()).record;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Polls the Lease every `intervalMs` (default 20) until `accept(holderIdentity)`
 * is true; resolves with the holder and the `performance.now()` of the read
 * that saw it (the moment the poll was sent, so the time is not late by the
 * request's duration). Rejects after `timeoutMs` (default 30 000).
 */
export async function waitForHolder(
  client: KubeClient,
  accept: (holder: string) => boolean,
  options: { timeoutMs?: number; intervalMs?: number; namespace?: string; name?: string } = {},
): Promise<{ holder: string; at: number; record: LeaderElectionRecord | undefined }> {
  const deadline = performance.now() + (options.timeoutMs ?? DEFAULT_WAIT_MS);
  let last = "(not read)";
  for (;;) {
    const at = performance.now();
    const record = await readLease(client, options);
    last = record?.holderIdentity ?? "(no Lease)";
    if (record && accept(record.holderIdentity)) {
      return { holder: record.holderIdentity, at, record };
    }
    if (performance.now() > deadline) {
      throw new Error(
        `Timed out after ${
          options.timeoutMs ?? DEFAULT_WAIT_MS
        } ms waiting for the Lease holder; last "${last}"`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
