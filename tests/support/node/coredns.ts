/**
 * The cluster's DNS for real nodes: CoreDNS as a host process on the first
 * node's bridge address, answering only the cluster domain from the API
 * server. There is deliberately no `forward`: any other name is refused at
 * once and no query leaves the machine.
 *
 * @module
 */
import type { RealNodesPlan } from "./plan.ts";

/** The Corefile: `cluster.local` from the `kubernetes` plugin, nothing else. */
export function corefile(plan: RealNodesPlan, kubeconfig: string): string {
  return `${plan.clusterDomain}:53 {
    bind ${plan.dnsIp}
    errors
    kubernetes ${plan.clusterDomain} {
        kubeconfig ${kubeconfig}
        pods disabled
        ttl 5
    }
}
`;
}

/** CoreDNS's command line. */
export function corednsArgs(corefilePath: string): string[] {
  return ["-conf", corefilePath];
}
