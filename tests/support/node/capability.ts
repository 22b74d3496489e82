/**
 * Whether this machine can run real nodes: root, writable cgroup v1, and the
 * packages `make setup` installs. Callers that can do without real nodes
 * (`make run`) fall back to kwok and print the reason.
 *
 * @module
 */
import { cgroupsWritable } from "./cgroups.ts";

const NEEDED = [
  "/usr/bin/containerd",
  "/usr/bin/ctr",
  "/usr/lib/cni/bridge",
  "/usr/lib/cni/host-local",
  "/usr/lib/cni/portmap",
  "/usr/lib/cni/loopback",
] as const;
const ON_PATH = [
  "runc",
  "containerd-shim-runc-v2",
  "iptables",
  "mkfs.ext4",
  "debootstrap",
] as const;

async function onPath(name: string): Promise<boolean> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await Deno.stat(`${dir}/${name}`).then((s) => s.isFile, () => false)) return true;
  }
  return false;
}

/** `undefined` when real nodes can run here, else why not (one line). */
export async function realNodeUnavailable(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return "not root";
  const missing = [
    ...(await Promise.all(NEEDED.map(async (p) => await Deno.stat(p).then(() => "", () => p)))),
    ...(await Promise.all(ON_PATH.map(async (p) => (await onPath(p)) ? "" : p))),
  ].filter(Boolean);
  if (missing.length > 0) return `missing ${missing.join(", ")} (make setup installs them as root)`;
  if (!(await cgroupsWritable())) return "no writable cgroup v1 hierarchies";
  return undefined;
}
