/**
 * The names, addresses and directories of a cluster's real nodes, decided
 * before anything is created, so that stop() and the reaper find everything
 * from this plan alone (it is written into the cluster directory).
 *
 * @module
 */
import { basename, join } from "node:path";

/** The pod network of all real nodes: node `i` gets `10.200.i.0/24`. */
export const POD_CIDR = "10.200.0.0/16";
/** The cluster's DNS domain. */
export const CLUSTER_DOMAIN = "cluster.local";
/** Label and taint key of real nodes; workloads land there only with a toleration. */
export const REAL_NODE_KEY = "pgop.dev/real-node";
/** The most real nodes one cluster may have (one /24 and one loopback address each). */
export const MAX_REAL_NODES = 8;

/** One real node: its kubelet, containerd, bridge and cgroups. */
export interface NodePlan {
  readonly index: number;
  /** Node name and InternalIP: `127.0.0.<index + 1>`. */
  readonly name: string;
  /** Everything of this node on disk: kubelet root, containerd root/state, logs. */
  readonly dir: string;
  readonly containerdSocket: string;
  /** The Linux bridge the harness creates and CNI attaches pods to. */
  readonly bridge: string;
  /** CNI network name (its host-local state is `/var/lib/cni/networks/<network>`). */
  readonly network: string;
  readonly podCidr: string;
  /** The bridge's address, the pods' gateway. */
  readonly gateway: string;
  /** kubelet's cgroupRoot, created in every cgroup v1 hierarchy. */
  readonly cgroupRoot: string;
  readonly kubeletPort: number;
  readonly healthzPort: number;
}

/** All real nodes of one cluster and what they share. */
export interface RealNodesPlan {
  /** Short id from the cluster directory, part of every host-wide name. */
  readonly id: string;
  readonly clusterDir: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly clusterDomain: string;
  /** CoreDNS listens here (the first node's bridge address). */
  readonly dnsIp: string;
  /** The egress guard's chain in the mangle table. */
  readonly guardChain: string;
  readonly nodes: readonly NodePlan[];
}

/** Plans `count` real nodes for the cluster in `clusterDir`; `ports` gives two free ports per node. */
export function planRealNodes(
  clusterDir: string,
  count: number,
  options: { serviceCidr: string; ports: readonly number[] },
): RealNodesPlan {
  if (!Number.isInteger(count) || count < 1 || count > MAX_REAL_NODES) {
    throw new RangeError(`realNodes must be 1..${MAX_REAL_NODES}, got ${count}`);
  }
  if (options.ports.length < 2 * count) {
    throw new RangeError(`Need ${2 * count} ports, got ${options.ports.length}`);
  }
  // Deno.makeTempDir's suffix: 6 characters, unique among live clusters.
  const id = basename(clusterDir).replace(/^pgop-cluster-/, "").replace(/[^a-zA-Z0-9]/g, "")
    .slice(-6).toLowerCase();
  const nodes = Array.from({ length: count }, (_, index): NodePlan => {
    const dir = join(clusterDir, `node-${index}`);
    return {
      index,
      name: `127.0.0.${index + 1}`,
      dir,
      containerdSocket: join(dir, "containerd.sock"),
      bridge: `pgop${id}n${index}`,
      network: `pgop-${id}-${index}`,
      podCidr: `10.200.${index}.0/24`,
      gateway: `10.200.${index}.1`,
      cgroupRoot: `/pgop-${id}-n${index}`,
      kubeletPort: options.ports[2 * index],
      healthzPort: options.ports[2 * index + 1],
    };
  });
  return {
    id,
    clusterDir,
    podCidr: POD_CIDR,
    serviceCidr: options.serviceCidr,
    clusterDomain: CLUSTER_DOMAIN,
    dnsIp: nodes[0].gateway,
    guardChain: `PGOP-EGRESS-${id.toUpperCase()}`,
    nodes,
  };
}
