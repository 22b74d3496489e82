/**
 * containerd's configuration for one real node: its own root, state and
 * socket under the node's directory, the CRI plugin with the local pause
 * image, overlayfs and runc on cgroupfs.
 *
 * @module
 */
import { join } from "node:path";
import type { NodePlan } from "./plan.ts";

const q = (s: string) => JSON.stringify(s);

/** The TOML text of containerd's `--config` for `node`; `sandboxImage` is a locally imported ref. */
export function containerdConfigToml(node: NodePlan, sandboxImage: string): string {
  const cri = `plugins."io.containerd.grpc.v1.cri"`;
  return `version = 2
root = ${q(join(node.dir, "containerd", "root"))}
state = ${q(join(node.dir, "containerd", "state"))}
# Plugins for storage this machine does not have; they only log errors.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = ${q(node.containerdSocket)}

[ttrpc]
  address = ${q(`${node.containerdSocket}.ttrpc`)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(node.dir, "containerd", "opt"))}

[${cri}]
  sandbox_image = ${q(sandboxImage)}
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails with
  # "can't get final child's PID from pipe" (a negative oom_score_adj is refused).
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # The pods' network namespaces under this node's state dir, not /run/netns:
  # everything the node mounts then lies below the cluster directory.
  netns_mounts_under_state_dir = true

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  # runc's state under this node's directory, not /run/containerd/runc.
  Root = ${q(join(node.dir, "runc"))}

[${cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = ${q(join(node.dir, "cni"))}
  max_conf_num = 1
`;
}
