/**
 * The CNI network of one real node: the bridge the harness created, an
 * address per pod from the node's /24 (host-local), hostPorts (portmap) and
 * loopback. No IP masquerade: pods talk only to each other, Services and the
 * cluster's DNS, and the egress guard drops everything else.
 *
 * @module
 */
import type { NodePlan } from "./plan.ts";

/** The `.conflist` JSON text for `node`. */
export function cniConfigJson(node: NodePlan): string {
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: node.network,
      plugins: [
        {
          type: "bridge",
          bridge: node.bridge,
          isGateway: true,
          ipMasq: false,
          // A pod reaching itself through a Service's ClusterIP.
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: node.podCidr, gateway: node.gateway }]],
            routes: [{ dst: "0.0.0.0/0" }],
          },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}
