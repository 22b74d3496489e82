/**
 * kubelet's configuration and command line for one real node.
 *
 * @module
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { type NodePlan, REAL_NODE_KEY, type RealNodesPlan } from "./plan.ts";

/**
 * The `KubeletConfiguration` YAML for `node`; `caCert` verifies clients (the
 * API server); `taint` keeps pods off the node unless they tolerate
 * {@link REAL_NODE_KEY} (for clusters that also have kwok nodes).
 */
export function kubeletConfigYaml(
  plan: RealNodesPlan,
  node: NodePlan,
  options: { caCert: string; taint: boolean },
): string {
  return stringify({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // This host runs cgroup v1 (deprecated by kubelet, still supported when asked).
    failCgroupV1: false,
    cgroupDriver: "cgroupfs",
    // A root of its own per node: one kubelet never treats the other's pods as orphans,
    // and stop() finds every container process below it.
    cgroupRoot: node.cgroupRoot,
    containerRuntimeEndpoint: `unix://${node.containerdSocket}`,
    address: node.name,
    port: node.kubeletPort,
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    healthzPort: node.healthzPort,
    failSwapOn: false,
    // The API server authenticates with its client certificate; everyone else
    // is checked by the API server (TokenReview, SubjectAccessReview).
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: options.caCert },
    },
    authorization: { mode: "Webhook" },
    clusterDNS: [plan.dnsIp],
    clusterDomain: plan.clusterDomain,
    podLogsDir: join(node.dir, "pod-logs"),
    volumePluginDir: join(node.dir, "volume-plugins"),
    registerWithTaints: options.taint
      ? [{ key: REAL_NODE_KEY, value: "true", effect: "NoSchedule" }]
      : [],
    // Images cannot be pulled here (no registry): never collect the imported ones.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // A shared test machine: evict only when truly out of resources.
    evictionHard: {
      "memory.available": "20Mi",
      "nodefs.available": "1%",
      "imagefs.available": "1%",
      "nodefs.inodesFree": "1%",
    },
    serializeImagePulls: false,
    maxPods: 50,
    // Status twice as often as the default, so node loss and return are seen sooner.
    nodeStatusUpdateFrequency: "5s",
  });
}

/** kubelet's command line for `node`. */
export function kubeletArgs(
  node: NodePlan,
  files: { config: string; kubeconfig: string },
): string[] {
  return [
    `--config=${files.config}`,
    `--kubeconfig=${files.kubeconfig}`,
    // kubelet refuses a loopback --node-ip, but a loopback hostname becomes the node's InternalIP.
    `--hostname-override=${node.name}`,
    `--root-dir=${join(node.dir, "kubelet")}`,
    `--cert-dir=${join(node.dir, "pki")}`,
    `--node-labels=${REAL_NODE_KEY}=true`,
    "--v=1",
  ];
}
