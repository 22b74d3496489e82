/**
 * kwok's simulated nodes of a local control plane: created, and waited for
 * until Ready and untainted, with the default ServiceAccount pods need.
 *
 * @module
 */
import { stringify } from "yaml";
import { kwokNode } from "./kwok_stages.ts";
import type { Component } from "./process.ts";
import { waitForComponent } from "./wait_component.ts";

/** What {@link addKwokNodes} needs of the cluster. */
export interface KwokNodesCluster {
  kubectl(args: readonly string[], options?: { input?: string }): Promise<string>;
  component(name: string): Component | undefined;
}

/** Creates `count` nodes `kwok-node-<i>` and waits until they (and the default ServiceAccount) are there. */
export async function addKwokNodes(cluster: KwokNodesCluster, count: number): Promise<void> {
  const nodes = Array.from({ length: count }, (_, i) => kwokNode(`kwok-node-${i}`));
  if (count > 0) {
    await cluster.kubectl(["create", "-f", "-"], {
      input: nodes.map((n) => stringify(n)).join("---\n"),
    });
  }
  await waitForComponent("nodes Ready", cluster.component("kwok"), async () => {
    const out = await cluster.kubectl([
      "get",
      "nodes",
      "--selector=type=kwok",
      "-o",
      'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{.spec.taints}{"\\n"}{end}',
    ]);
    const lines = out.trim().split("\n").filter(Boolean);
    // Ready, and the not-ready taint removed by the node-lifecycle controller.
    return lines.length === count && lines.every((l) => l.trim() === "True");
  }, 90_000);
  // Pods need the namespace's default ServiceAccount (created by kube-controller-manager).
  await waitForComponent(
    "default ServiceAccount",
    cluster.component("kube-controller-manager"),
    async () => {
      try {
        await cluster.kubectl(["get", "serviceaccount", "default", "-n", "default"]);
        return true;
      } catch {
        return false;
      }
    },
    60_000,
  );
}
