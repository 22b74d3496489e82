/**
 * A kubelet's cgroupRoot in every cgroup v1 hierarchy: created before the
 * kubelet starts (it refuses to start otherwise), searched for container
 * processes on stop (killing the shims alone leaves them running), and
 * removed, deepest directories first, once empty.
 *
 * @module
 */
import { join } from "node:path";

const CGROUP_FS = "/sys/fs/cgroup";

/**
 * The mounted cgroup v1 hierarchies (`/sys/fs/cgroup/cpu`, …); with
 * `unified`, also the cgroup2 mount of a hybrid host (runc places processes
 * there too).
 */
export async function cgroupHierarchies(unified = false): Promise<string[]> {
  const mounts = await Deno.readTextFile("/proc/self/mounts");
  return mounts.split("\n").map((l) => l.split(" ")).filter((f) =>
    (f[2] === "cgroup" || (unified && f[2] === "cgroup2")) && f[1]?.startsWith(`${CGROUP_FS}/`)
  ).map((f) => f[1]);
}

/** Whether cgroup v1 hierarchies exist and this process may create cgroups in them. */
export async function cgroupsWritable(): Promise<boolean> {
  const hierarchies = await cgroupHierarchies();
  if (hierarchies.length === 0) return false;
  const probe = join(hierarchies[0], `pgop-probe-${Deno.pid}`);
  try {
    await Deno.mkdir(probe);
    await Deno.remove(probe);
    return true;
  } catch {
    return false;
  }
}

/** Creates `root` in every hierarchy (cpuset with its parent's CPUs and memory nodes). */
export async function createCgroupRoot(root: string): Promise<void> {
  for (const hierarchy of await cgroupHierarchies()) {
    const dir = join(hierarchy, root);
    await Deno.mkdir(dir, { recursive: true });
    if (hierarchy.endsWith("/cpuset")) {
      // A new v1 cpuset starts empty and accepts no task until these are set.
      for (const file of ["cpuset.cpus", "cpuset.mems"]) {
        const parent = await Deno.readTextFile(join(hierarchy, file));
        await Deno.writeTextFile(join(dir, file), parent.trim());
      }
    }
  }
}

async function subtree(dir: string): Promise<string[]> {
  const dirs = [dir];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) dirs.push(...await subtree(join(dir, entry.name)));
    }
  } catch {
    return [];
  }
  return dirs;
}

/** Every process in `root` or below, in any hierarchy. */
export async function cgroupPids(root: string): Promise<number[]> {
  const pids = new Set<number>();
  for (const hierarchy of await cgroupHierarchies(true)) {
    for (const dir of await subtree(join(hierarchy, root))) {
      const text = await Deno.readTextFile(join(dir, "cgroup.procs")).catch(() => "");
      for (const line of text.split("\n")) if (line) pids.add(Number(line));
    }
  }
  return [...pids];
}

/**
 * SIGKILLs every process in `root` until none is left (a process may fork
 * while its siblings die); resolves with how many were killed.
 */
export async function killCgroup(root: string, timeoutMs = 10_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const killed = new Set<number>();
  for (;;) {
    const pids = await cgroupPids(root);
    if (pids.length === 0) return killed.size;
    if (performance.now() > deadline) {
      throw new Error(`Processes ${pids.join(", ")} in cgroup ${root} survived SIGKILL`);
    }
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
        killed.add(pid);
      } catch {
        // Gone already.
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Removes `root` and everything below it in every hierarchy; returns what could not be removed. */
export async function removeCgroupRoot(root: string): Promise<string[]> {
  const left: string[] = [];
  for (const hierarchy of await cgroupHierarchies(true)) {
    // Deepest first: a cgroup directory is removed with rmdir, only when empty.
    for (const dir of (await subtree(join(hierarchy, root))).reverse()) {
      try {
        await Deno.remove(dir);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) left.push(`${dir}: ${err}`);
      }
    }
  }
  return left;
}
