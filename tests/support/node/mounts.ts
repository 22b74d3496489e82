/**
 * Mounts a real node leaves on the host: kubelet's bind mount of its root
 * dir, pod volumes, containerd's rootfs and shm mounts, loop-mounted volumes
 * (all under the cluster directory) and the network namespaces CNI pins in
 * `/run/netns`.
 *
 * @module
 */
import { run, tryRun } from "./host_command.ts";

/** The mount points at or below `prefix`, deepest first. */
export async function mountsUnder(prefix: string): Promise<string[]> {
  const info = await Deno.readTextFile("/proc/self/mountinfo");
  const points = info.split("\n").map((l) => l.split(" ")[4]).filter((p): p is string =>
    p !== undefined
  ).map((p) => p.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === prefix || p.startsWith(`${prefix}/`));
  // A path mounted several times is listed once per mount: unmount it that often.
  return points.sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or below `prefix` (lazily, so a busy mount goes too); returns failures. */
export async function unmountUnder(prefix: string): Promise<string[]> {
  const problems: string[] = [];
  for (let round = 0; round < 5; round++) {
    const points = await mountsUnder(prefix);
    if (points.length === 0) return problems;
    for (const point of points) {
      const problem = await tryRun("umount", ["-l", point]);
      if (problem && round === 4) problems.push(problem);
    }
  }
  return problems;
}

/** Detaches the loop devices whose backing file lies below `prefix`. */
export async function detachLoopsUnder(prefix: string): Promise<string[]> {
  const problems: string[] = [];
  const json = await run("losetup", ["--list", "--json", "--output", "NAME,BACK-FILE"]).catch(() =>
    ""
  );
  if (!json.trim()) return problems;
  const devices = (JSON.parse(json) as { loopdevices?: { name: string; "back-file"?: string }[] })
    .loopdevices ?? [];
  for (const device of devices) {
    const file = device["back-file"]?.replace(/ \(deleted\)$/, "");
    if (file?.startsWith(`${prefix}/`)) {
      const problem = await tryRun("losetup", ["--detach", device.name]);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

/** The inode of a process's network namespace, or undefined once it is gone. */
async function netnsInode(pid: number | string): Promise<number | undefined> {
  try {
    return (await Deno.stat(`/proc/${pid}/ns/net`)).ino ?? undefined;
  } catch {
    return undefined;
  }
}

/** Names in `/run/netns` (empty when it does not exist). */
export async function netnsNames(): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir("/run/netns"))).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Removes the `/run/netns` entries that were not there before the cluster
 * (`before`) and that no living process uses: the sandboxes' namespaces,
 * once their processes are killed. Removes `/run/netns` itself when the
 * cluster created it and it is empty.
 */
export async function removeNewNetns(before: readonly string[] | null): Promise<string[]> {
  const problems: string[] = [];
  const inUse = new Set<number>();
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const ino = await netnsInode(entry.name);
    if (ino !== undefined) inUse.add(ino);
  }
  for (const name of await netnsNames()) {
    if (before?.includes(name)) continue;
    const path = `/run/netns/${name}`;
    const ino = (await Deno.stat(path).catch(() => undefined))?.ino;
    if (ino !== undefined && ino !== null && inUse.has(ino)) continue;
    await tryRun("umount", ["-l", path]);
    await Deno.remove(path).catch((err) => problems.push(`${path}: ${err}`));
  }
  if (before === null && (await netnsNames()).length === 0) {
    // ip-netns and CNI make /run/netns a mount of its own.
    for (const _ of await mountsUnder("/run/netns")) await tryRun("umount", ["-l", "/run/netns"]);
    await Deno.remove("/run/netns").catch(() => {});
  }
  return problems;
}
