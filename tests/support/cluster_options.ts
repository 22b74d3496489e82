/**
 * What a local control plane is started with (`LocalCluster.start`).
 *
 * @module
 */

/** Options of `LocalCluster.start` (cluster.ts). */
export interface ClusterOptions {
  /** Simulated kwok nodes (default 3). */
  readonly nodes?: number;
  /**
   * Real kubelet nodes (default 0), named `127.0.0.1`, `127.0.0.2`, …: each
   * with its own containerd, the local images, pod network, storage
   * (StorageClass `pgop-local`, the default) and cluster DNS; pods reach
   * nothing outside the machine. Labelled `pgop.dev/real-node=true`; when
   * kwok nodes exist too they are also tainted so (NoSchedule), and only pods
   * that tolerate it land there. Needs root, cgroup v1 and the packages of
   * `make setup` (see node/capability.ts). One such cluster per host at a time.
   */
  readonly realNodes?: number;
  /** Extra kube-apiserver flags, e.g. `["--max-requests-inflight=5"]`. */
  readonly apiserverArgs?: readonly string[];
  /** Start kube-controller-manager, kube-scheduler and kwok (default true). */
  readonly workloads?: boolean;
  /**
   * Manifests (paths) applied before kube-controller-manager starts, so its
   * garbage collector watches those resources from the start (it discovers
   * new resource types only every 30 s).
   */
  readonly manifests?: readonly string[];
  /** Progress messages (default: none). */
  readonly log?: (message: string) => void;
}
