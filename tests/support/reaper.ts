/**
 * Leaves no process, port or directory behind even when the test runner itself
 * was killed: every cluster is registered with its owner's pid, and the next
 * start reaps clusters whose owner is gone (killing only processes whose command
 * line names that cluster's directory, so a reused pid is never hit). A
 * cluster with real nodes is undone from the record in its directory
 * (node/host_record.ts): processes, mounts, cgroups, bridges, iptables chains.
 *
 * @module
 */
import { basename, join } from "node:path";
import { cleanupRealNodes } from "./node/host_cleanup.ts";
import { readRecord } from "./node/host_record.ts";
import { lockHeldByOther } from "./node/node_lock.ts";

/** Where clusters are registered with their owners (host-wide, shared by all runners). */
export const registry = join(Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp", "pgop-clusters");

/** Records that this process owns the cluster in `dir`. */
export async function rememberCluster(dir: string): Promise<void> {
  await Deno.mkdir(registry, { recursive: true });
  await Deno.writeTextFile(join(registry, basename(dir)), JSON.stringify({ owner: Deno.pid, dir }));
}

/** Forgets the cluster in `dir` (it was stopped). */
export async function forgetCluster(dir: string): Promise<void> {
  await Deno.remove(join(registry, basename(dir))).catch(() => {});
}

async function alive(pid: number): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(`/proc/${pid}/cmdline`)).replaceAll("\0", " ");
  } catch {
    return undefined;
  }
}

/** Kills the components and removes the directories of clusters whose owner process is gone. */
export async function reapStaleClusters(): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(registry));
  } catch {
    return;
  }
  for (const entry of entries) {
    const file = join(registry, entry.name);
    try {
      const { owner, dir } = JSON.parse(await Deno.readTextFile(file)) as {
        owner: number;
        dir: string;
      };
      if (owner !== Deno.pid && (await alive(owner)) !== undefined) continue;
      if (owner === Deno.pid) continue;
      const pids = (await Deno.readTextFile(join(dir, "pids")).catch(() => "")).split("\n").filter(
        Boolean,
      );
      const record = await readRecord(dir).catch(() => undefined);
      const problems = record
        ? await cleanupRealNodes(record, { shared: !(await lockHeldByOther(dir)) })
        : [];
      for (const pid of pids.map(Number)) {
        const cmdline = await alive(pid);
        if (cmdline?.includes(dir)) Deno.kill(pid, "SIGKILL");
      }
      if (problems.length > 0) {
        // Something may still be mounted below it: never remove it recursively then.
        console.error(`pgop: reaping ${dir} left: ${problems.join("; ")}`);
        continue;
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.remove(file).catch(() => {});
    } catch {
      await Deno.remove(file).catch(() => {});
    }
  }
}
