/**
 * Undoes everything a cluster's real nodes did to the host, from its
 * {@link HostRecord}: used by stop() and by the reaper after the runner was
 * SIGKILLed. Every step goes on when an earlier one failed; failures are
 * returned, never thrown, so one stuck mount does not leave the rest behind.
 *
 * @module
 */
import { join } from "node:path";
import { cgroupPids, killCgroup, removeCgroupRoot } from "./cgroups.ts";
import { tryRun } from "./host_command.ts";
import { HOST_DIRS, type HostRecord } from "./host_record.ts";
import { removeChains } from "./iptables.ts";
import { detachLoopsUnder, mountsUnder, removeNewNetns, unmountUnder } from "./mounts.ts";
import type { NodePlan } from "./plan.ts";
import { restoreTunables } from "./sysctls.ts";

async function cmdline(pid: number | string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(`/proc/${pid}/cmdline`)).replaceAll("\0", " ");
  } catch {
    return undefined;
  }
}

/** SIGKILLs `pid` if its command line still names `mark` (a reused pid is never hit). */
async function killIfNamed(pid: number, mark: string): Promise<boolean> {
  if (pid === Deno.pid || !(await cmdline(pid))?.includes(mark)) return false;
  try {
    Deno.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

/**
 * The containerd shims of a node: started by its containerd, then detached
 * from it, so they are found by the node's own socket path on their command line.
 */
export async function shimPids(node: NodePlan): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const line = await cmdline(entry.name);
    if (line?.includes("containerd-shim") && line.includes(node.containerdSocket)) {
      pids.push(Number(entry.name));
    }
  }
  return pids;
}

/**
 * Kills one node's runtime: its kubelet and containerd (from `pids`, checked
 * against their command lines), its shims, then every process in its cgroups.
 */
export async function killNode(node: NodePlan, pids: readonly number[]): Promise<string[]> {
  // kubelet and containerd first, so nothing restarts the containers killed next.
  for (const pid of pids) await killIfNamed(pid, node.dir);
  for (const pid of await shimPids(node)) await killIfNamed(pid, node.containerdSocket);
  try {
    await killCgroup(node.cgroupRoot);
    return [];
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
  } catch {
    return [];
  }
}

/** Removes what the nodes left in host-wide directories (CNI state, log links, kubelet's sockets). */
async function cleanHostDirs(record: HostRecord, shared: boolean): Promise<string[]> {
  const problems: string[] = [];
  const { plan } = record;
  for (const node of plan.nodes) {
    await Deno.remove(join("/var/lib/cni/networks", node.network), { recursive: true }).catch(
      () => {},
    );
    for (const name of await names("/var/lib/cni/results")) {
      if (name.startsWith(`${node.network}-`)) {
        await Deno.remove(join("/var/lib/cni/results", name)).catch(() => {});
      }
    }
  }
  for (const name of await names("/var/log/containers")) {
    const path = join("/var/log/containers", name);
    const target = await Deno.readLink(path).catch(() => "");
    if (target.startsWith(`${plan.clusterDir}/`)) await Deno.remove(path).catch(() => {});
  }
  for (const dir of HOST_DIRS) {
    // Only one cluster at a time has real nodes (see node_lock.ts): a directory
    // that did not exist before it was made by this cluster's nodes.
    if (shared && record.hostDirsBefore[dir] === false) {
      await Deno.remove(dir, { recursive: true }).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) problems.push(`${dir}: ${err}`);
      });
    }
  }
  return problems;
}

/**
 * Undoes everything in `record`; resolves with what could not be undone
 * (empty when clean). Without `shared` (another cluster's nodes run now) the
 * host-wide state (the KUBE- and CNI- chains, /run/netns, host directories, kernel
 * settings) is left to that cluster; only this cluster's own things go.
 */
export async function cleanupRealNodes(
  record: HostRecord,
  options: { shared?: boolean } = {},
): Promise<string[]> {
  const shared = options.shared ?? true;
  const { plan } = record;
  const problems: string[] = [];
  for (const node of plan.nodes) problems.push(...await killNode(node, record.pids));
  // kube-proxy and CoreDNS.
  for (const pid of record.pids) await killIfNamed(pid, plan.clusterDir);
  problems.push(...await unmountUnder(plan.clusterDir));
  problems.push(...await detachLoopsUnder(plan.clusterDir));
  if (shared) problems.push(...await removeNewNetns(record.netnsBefore));
  for (const node of plan.nodes) {
    const left = await cgroupPids(node.cgroupRoot);
    if (left.length > 0) problems.push(`cgroup ${node.cgroupRoot} still has ${left.join(", ")}`);
    problems.push(...await removeCgroupRoot(node.cgroupRoot));
  }
  // kube-proxy's KUBE-* chains (what `kube-proxy --cleanup` removes), kubelet's
  // KUBE-FIREWALL and canaries, CNI's portmap chains and the egress guard.
  problems.push(
    ...await removeChains((c) =>
      c === plan.guardChain || (shared && (c.startsWith("KUBE-") || c.startsWith("CNI-")))
    ),
  );
  for (const node of plan.nodes) {
    const problem = await tryRun("ip", ["link", "delete", node.bridge]);
    if (problem && !problem.includes("Cannot find device")) problems.push(problem);
  }
  problems.push(...await cleanHostDirs(record, shared));
  if (shared) problems.push(...await restoreTunables(record.tunables));
  const mounted = await mountsUnder(plan.clusterDir);
  if (mounted.length > 0) problems.push(`still mounted: ${mounted.join(", ")}`);
  return problems;
}
