/**
 * pgop's own REST client pointed at a local control plane, for tests.
 *
 * @module
 */
import { loadKubeconfig } from "../../lib/kube/kubeconfig.ts";
import { RestClient, type RestClientOptions } from "../../lib/kube/rest_client.ts";
import type { LocalCluster } from "./cluster.ts";

/** A {@link RestClient} with the cluster's admin kubeconfig (or `kubeconfig`). Close it when done. */
export async function clientFor(
  cluster: LocalCluster,
  options: RestClientOptions & { kubeconfig?: string } = {},
): Promise<RestClient> {
  const config = await loadKubeconfig({ path: options.kubeconfig ?? cluster.kubeconfigPath });
  return new RestClient(config, { qps: 0, ...options });
}
