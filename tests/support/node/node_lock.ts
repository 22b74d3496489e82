/**
 * One cluster with real nodes at a time on a host: kube-proxy owns the
 * host's KUBE-* chains, and kubelet's device-plugin socket has a fixed path,
 * so two clusters' nodes would fight over them. A second cluster waits for
 * the lock (bounded); a lock whose owner process is gone is taken over (the
 * reaper has cleaned that cluster by then).
 *
 * @module
 */
import { dirname } from "node:path";
import { registry } from "../reaper.ts";

/** Beside the cluster registry, not in it (the reaper reads every file there as a cluster). */
const lockPath = () => `${registry}-real-nodes.lock`;

async function ownerAlive(): Promise<boolean> {
  try {
    const { owner } = JSON.parse(await Deno.readTextFile(lockPath())) as { owner: number };
    return owner === Deno.pid || (await Deno.stat(`/proc/${owner}`).then(() => true, () => false));
  } catch (err) {
    // Unreadable: half-written by a killed owner, or just removed.
    return !(err instanceof SyntaxError) && !(err instanceof Deno.errors.NotFound);
  }
}

/** Takes the host's real-node lock for the cluster in `dir`; rejects after `timeoutMs`. */
export async function acquireNodeLock(dir: string, timeoutMs = 600_000): Promise<void> {
  await Deno.mkdir(dirname(lockPath()), { recursive: true });
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await Deno.writeTextFile(lockPath(), JSON.stringify({ owner: Deno.pid, dir }), {
        createNew: true,
      });
      return;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    if (!(await ownerAlive())) {
      await Deno.remove(lockPath()).catch(() => {});
      continue;
    }
    if (performance.now() > deadline) {
      const holder = await Deno.readTextFile(lockPath()).catch(() => "?");
      throw new Error(`Another cluster holds the real-node lock ${lockPath()} (${holder})`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Releases the lock if the cluster in `dir` holds it. */
export async function releaseNodeLock(dir: string): Promise<void> {
  try {
    const held = JSON.parse(await Deno.readTextFile(lockPath())) as { dir: string };
    if (held.dir === dir) await Deno.remove(lockPath());
  } catch {
    // Not held.
  }
}

/**
 * Whether a live process holds the lock for a cluster other than the one in
 * `dir`: then host-wide state (KUBE-* chains, /run/containerd, …) is that
 * cluster's, and reaping `dir` must leave it alone.
 */
export async function lockHeldByOther(dir: string): Promise<boolean> {
  try {
    const held = JSON.parse(await Deno.readTextFile(lockPath())) as { dir: string };
    return held.dir !== dir && await ownerAlive();
  } catch {
    return false;
  }
}
