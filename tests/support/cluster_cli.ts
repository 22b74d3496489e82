/**
 * `deno task cluster` — the local control plane for people.
 *
 *   deno task cluster up      start it, print how to reach it, stop on Ctrl-C
 *   deno task cluster build   only build (or find) the binaries
 *
 * @module
 */
import { ensureBinaries } from "./binaries.ts";
import { LocalCluster } from "./cluster.ts";

/** Starts a cluster and keeps it until SIGINT/SIGTERM. */
export async function up(
  options: { nodes?: number; onReady?: (c: LocalCluster) => Promise<void> } = {},
) {
  const cluster = await LocalCluster.start({
    nodes: options.nodes,
    log: (m) => console.error(`cluster: ${m}`),
  });
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    console.error(`cluster: kubeconfig ${cluster.kubeconfigPath}`);
    console.error(`cluster: export KUBECONFIG=${cluster.kubeconfigPath}`);
    console.error(`cluster: kubectl is ${cluster.binaries.kubectl}`);
    await options.onReady?.(cluster);
    console.error("cluster: running; Ctrl-C stops it and removes everything");
    await stopped.promise;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    await cluster.stop();
    console.error("cluster: stopped");
  }
}

if (import.meta.main) {
  const [command = "up"] = Deno.args;
  try {
    if (command === "up") await up();
    else if (command === "build") console.log((await ensureBinaries()).dir);
    else throw new Error(`Unknown command "${command}" (expected up or build)`);
  } catch (err) {
    console.error(`cluster: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  }
}
