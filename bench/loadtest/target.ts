/**
 * The cluster a load test runs against: a fresh local control plane (with
 * the CRD installed), or the one of `--kubeconfig` (whose CRD must be there).
 *
 * @module
 */
import { ApiError } from "../../lib/kube/errors.ts";
import { type ConnectionConfig, loadKubeconfig } from "../../lib/kube/kubeconfig.ts";
import { Resources } from "../../lib/kube/resource.ts";
import { RestClient } from "../../lib/kube/rest_client.ts";
import { LocalCluster } from "../../tests/support/cluster.ts";
import { installCrd } from "../../tests/support/pgop.ts";
import { planDatabases } from "./plan.ts";

/** Where the run goes. */
export interface Target {
  readonly kubeconfig: string;
  readonly connection: ConnectionConfig;
  /** Set when the load test started the control plane (it stops it). */
  readonly local?: LocalCluster;
  /** Stops a local control plane; nothing for a given cluster. */
  stop(): Promise<void>;
}

/**
 * One throwaway Database created, status-applied and deleted: the API
 * server's first write of a new CRD (and first server-side apply of it) can
 * take seconds on a small machine, which would otherwise land on whichever
 * system is measured first and swing the pgop/floor ratio.
 */
async function warmUp(connection: ConnectionConfig): Promise<void> {
  using client = new RestClient(connection, { qps: 0 });
  const [db] = planDatabases({
    runId: "warmup",
    count: 1,
    namespaces: ["default"],
    envMix: [{ env: "production", weight: 1 }],
  });
  const created = await client.create(Resources.databases, db);
  await client.apply(Resources.databases, {
    apiVersion: created.apiVersion,
    kind: created.kind,
    metadata: { name: created.metadata?.name, namespace: "default" },
    status: { phase: "Pending" },
  }, { fieldManager: "pgop-loadtest", force: true, subresource: "status" });
  await client.delete(Resources.databases, created.metadata?.name ?? "", { namespace: "default" });
}

/**
 * Simulated nodes for `databases` one-replica Databases: each kwok node takes
 * 640 of their pods (64 CPUs / 100m requested), so one node per 500 keeps
 * the scheduler from ever running out of room; at least 3.
 */
export function nodesFor(databases: number): number {
  return Math.max(3, Math.ceil(databases / 500));
}

/**
 * Opens the target: with `kubeconfig`, checks that Databases are served;
 * without, starts a local control plane with {@link nodesFor}`(databases)`
 * kwok nodes, or with `real` one real node and no kwok node, and installs the CRD.
 * @throws {Error} when the given cluster does not serve Databases
 */
export async function openTarget(
  kubeconfig: string | undefined,
  log: (message: string) => void,
  databases = 0,
  real = false,
): Promise<Target> {
  if (kubeconfig !== undefined) {
    const connection = await loadKubeconfig({ path: kubeconfig });
    using client = new RestClient(connection, { qps: 0 });
    try {
      await client.list(Resources.databases, { limit: 1 });
    } catch (error) {
      if (error instanceof ApiError && error.code === 404) {
        throw new Error("The Database CRD is not installed: kubectl apply -f crds/database.yaml");
      }
      throw error;
    }
    return { kubeconfig, connection, stop: () => Promise.resolve() };
  }
  log("starting a local control plane…");
  const local = await LocalCluster.start(
    real ? { log, nodes: 0, realNodes: 1 } : { log, nodes: nodesFor(databases) },
  );
  try {
    await installCrd(local);
    const connection = await loadKubeconfig({ path: local.kubeconfigPath });
    await warmUp(connection);
    return {
      kubeconfig: local.kubeconfigPath,
      connection,
      local,
      stop: () => local.stop(),
    };
  } catch (error) {
    await local.stop({ keepDir: true });
    throw error;
  }
}
