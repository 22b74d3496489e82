/**
 * What a cluster's real nodes changed on the host, written into the cluster
 * directory before each change, so that stop() and the reaper (after the
 * runner was SIGKILLed) undo it all from this file alone.
 *
 * @module
 */
import { join } from "node:path";
import type { RealNodesPlan } from "./plan.ts";

/**
 * Host directories real nodes write into even though their own dirs are
 * elsewhere (containerd 1.6 puts its shims' sockets in /run/containerd/s
 * whatever its state dir).
 */
export const HOST_DIRS = [
  "/run/containerd",
  "/var/lib/cni",
  "/var/lib/kubelet",
  "/var/log/pods",
  "/var/log/containers",
] as const;

/** The record of one cluster's real nodes. */
export interface HostRecord {
  readonly plan: RealNodesPlan;
  /** Processes started for the nodes (containerd, kubelet, kube-proxy, CoreDNS). */
  readonly pids: number[];
  /** Kernel settings before the first kubelet (see sysctls.ts). */
  readonly tunables: Record<string, string>;
  /** `/run/netns` entries before the nodes started; null when it did not exist. */
  readonly netnsBefore: string[] | null;
  /** Which of {@link HOST_DIRS} existed before. */
  readonly hostDirsBefore: Record<string, boolean>;
}

/** The record's file in a cluster directory. */
export function recordPath(clusterDir: string): string {
  return join(clusterDir, "real-nodes.json");
}

/** Writes (or rewrites) the record. */
export async function writeRecord(record: HostRecord): Promise<void> {
  const path = recordPath(record.plan.clusterDir);
  // Written whole and renamed, so a reaper never reads half a record.
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(record, null, 2));
  await Deno.rename(`${path}.tmp`, path);
}

/** The record of the cluster in `clusterDir`, or undefined when it had no real nodes. */
export async function readRecord(clusterDir: string): Promise<HostRecord | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(recordPath(clusterDir))) as HostRecord;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}
