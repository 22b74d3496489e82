/**
 * What tests do with a cluster's real nodes, beside the control plane:
 * client pods run to their end, the egress guard's counter, and a node lost
 * and brought back (`LocalCluster.realNodes`).
 *
 * @module
 */
import { join } from "node:path";
import { type PodResult, type PodRun, runPod } from "./client_pod.ts";
import { egressGuardDrops } from "./iptables.ts";
import type { RealNodeCluster } from "./real_node_cluster.ts";

/** `kubectl` of the cluster (arguments, optional standard input) → its stdout. */
export type Kubectl = (args: readonly string[], options?: { input?: string }) => Promise<string>;

/** The real nodes of one running cluster. */
export class RealNodeAccess {
  readonly #kubectl: Kubectl;
  readonly #real: RealNodeCluster;

  /** Does no I/O. */
  constructor(kubectl: Kubectl, real: RealNodeCluster) {
    this.#kubectl = kubectl;
    this.#real = real;
  }

  /** Names of the real nodes (`127.0.0.1`, …; also their InternalIPs). */
  get names(): string[] {
    return this.#real.names;
  }

  /** Runs a pod on a real node to its end (see client_pod.ts); returns exit code and log. */
  runPod(run: PodRun): Promise<PodResult> {
    return runPod(this.#kubectl, run);
  }

  /** The kubelet root directory of real node `name` (pods' volumes are under `pods/<uid>/volumes`). */
  kubeletRoot(name: string): string {
    const node = this.#started().plan.nodes.find((n) => n.name === name);
    if (!node) throw new RangeError(`No real node "${name}" (have ${this.names.join(", ")})`);
    return join(node.dir, "kubelet");
  }

  /** Imports a docker-archive tar (a local image built after the start) into every real node. */
  importImage(archive: string): Promise<void> {
    return this.#started().importImage(archive);
  }

  /** Packets from pods to outside the machine that the egress guard dropped so far. */
  egressGuardDrops(): Promise<number> {
    return egressGuardDrops(this.#started().plan.guardChain);
  }

  /** SIGKILLs a real node's kubelet, containerd, shims and containers (a lost machine). */
  stopNode(name: string): Promise<void> {
    return this.#started().stopNode(name);
  }

  /** Starts a real node stopped by {@link stopNode} again (its Ready is the caller's to wait for). */
  startNode(name: string): Promise<void> {
    return this.#started().startNode(name);
  }

  #started() {
    const nodes = this.#real.nodes;
    if (!nodes) throw new RangeError("The real nodes have not started");
    return nodes;
  }
}
