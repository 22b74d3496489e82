/**
 * One kube-proxy (iptables mode) for all real nodes of a cluster: their pods
 * all live in the host's network namespace, and a second kube-proxy would
 * rewrite the same chains.
 *
 * @module
 */
import type { RealNodesPlan } from "./plan.ts";

/** kube-proxy's command line; `ports` are two free loopback ports (healthz, metrics). */
export function kubeProxyArgs(
  plan: RealNodesPlan,
  kubeconfig: string,
  ports: readonly [number, number],
): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    "--proxy-mode=iptables",
    "--bind-address=127.0.0.1",
    `--hostname-override=${plan.nodes[0].name}`,
    `--cluster-cidr=${plan.podCidr}`,
    `--healthz-bind-address=127.0.0.1:${ports[0]}`,
    `--metrics-bind-address=127.0.0.1:${ports[1]}`,
    // Leave the host's conntrack settings alone (0 = do not change them).
    "--conntrack-max-per-core=0",
    "--conntrack-tcp-timeout-established=0",
    "--conntrack-tcp-timeout-close-wait=0",
    // Else kube-proxy sets route_localnet on the host to serve NodePorts on 127.0.0.1.
    "--iptables-localhost-nodeports=false",
  ];
}
