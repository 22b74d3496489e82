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
const lockFile = `${registry}-real-nodes.lock`;

async function ownerAlive(): Promise<boolean> {
  try {
    const { owner } = JSON.parse(await Deno.readTextFile(lockFile)) as { owner: number };
    return owner === Deno.pid || (await Deno.stat(`/proc/${owner}`).then(() => true, () => false));
  } catch (err) {
    // Unreadable: half-written by a killed owner, or just removed.
    return !(err instanceof SyntaxError) && !(err instanceof Deno.errors.NotFound);
  }
}

/** Takes the host's real-node lock for the cluster in `dir`; rejects after `timeoutMs`. */
export async function acquireNodeLock(dir: string, timeoutMs = 600_000): Promise<void> {
  await Deno.mkdir(dirname(lockFile), { recursive: true });
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await Deno.writeTextFile(lockFile, JSON.stringify({ owner: Deno.pid, dir }), {
        createNew: true,
      });
      return;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    if (!(await ownerAlive())) {
      await Deno.remove(lockFile).catch(() => {});
      continue;
    }
    if (performance.now() > deadline) {
      const holder = await Deno.readTextFile(lockFile).catch(() => "?");
      throw new Error(`Another cluster holds the real-node lock ${lockFile} (${holder})`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Releases the lock if the cluster in `dir` holds it. */
export async function releaseNodeLock(dir: string): Promise<void> {
  try {
    const held = JSON.parse(await Deno.readTextFile(lockFile)) as { dir: string };
    if (held.dir === dir) await Deno.remove(lockFile);
  } catch {
    // Not held.
  }
}
