/**
 * `deno task cluster` — the local control plane for people.
 *
 *   deno task cluster up      start it, print how to reach it, stop on Ctrl-C
 *   deno task cluster run -- [pgop flags]
 *                             start it, install the CRD, run pgop against it
 *   deno task cluster build   only build (or find) the binaries
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { ensureBinaries } from "./binaries.ts";
import { LocalCluster } from "./cluster.ts";
import { localPermissions, pgopRunFlags } from "./pgop_runtime.ts";

/** Starts a cluster and keeps it until SIGINT/SIGTERM. */
export async function up(
  options: { nodes?: number; manifests?: string[]; onReady?: (c: LocalCluster) => Promise<void> } =
    {},
) {
  const cluster = await LocalCluster.start({
    nodes: options.nodes,
    manifests: options.manifests,
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

/** `cluster run`: the control plane, the CRD, and pgop as a child process (its logs on this terminal). */
async function run(pgopArgs: string[]): Promise<void> {
  await up({
    // Installed before the controller manager starts, so that its garbage
    // collector watches Databases from the start.
    manifests: [fileURLToPath(new URL("../../crds/database.yaml", import.meta.url))],
    onReady: async (cluster) => {
      await cluster.kubectl([
        "wait",
        "--for=condition=Established",
        "crd/databases.database.example.com",
      ]);
      console.error(
        "cluster: CRD installed; starting pgop (metrics on http://127.0.0.1:8080/metrics)",
      );
      console.error(
        `cluster: try  ${cluster.binaries.kubectl} --kubeconfig ${cluster.kubeconfigPath} apply -f crds/example.yaml`,
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...pgopRunFlags(localPermissions([`--kubeconfig=${cluster.kubeconfigPath}`])),
          fileURLToPath(new URL("../../main.ts", import.meta.url)),
          `--kubeconfig=${cluster.kubeconfigPath}`,
          "--metrics-address=127.0.0.1:8080",
          "--health-probe-address=127.0.0.1:8081",
          ...pgopArgs,
        ],
        stdin: "null",
      }).spawn();
      const status = await child.status;
      console.error(`cluster: pgop exited with ${status.code}`);
    },
  });
}

if (import.meta.main) {
  const [command = "up", ...rest] = Deno.args;
  try {
    if (command === "up") await up();
    else if (command === "run") await run(rest.filter((a) => a !== "--"));
    else if (command === "build") console.log((await ensureBinaries()).dir);
    else throw new Error(`Unknown command "${command}" (expected up, run or build)`);
  } catch (err) {
    console.error(`cluster: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  }
}
