/**
 * `deno task cluster` — the local control plane for people.
 *
 *   deno task cluster up [--nodes=N] [--real-nodes=N]
 *                             start it (default 3 kwok nodes, no real node),
 *                             print how to reach it, stop on Ctrl-C
 *   deno task cluster run -- [pgop flags]
 *                             start it (with one real node where this machine
 *                             allows one, else kwok only), install the CRD, run
 *                             pgop against it; SIGINT/SIGTERM stop pgop, then it
 *   deno task cluster build   only build (or find) the binaries
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBinaries } from "./binaries.ts";
import { LocalCluster } from "./cluster.ts";
import { realNodeUnavailable } from "./node/capability.ts";
import { LAG_OBSERVER_OFF, localPermissions, pgopRunFlags } from "./pgop_runtime.ts";

/**
 * Starts a cluster and keeps it until SIGINT/SIGTERM, or until `onReady`
 * (which gets a signal that aborts on either) returns `"stop"`.
 */
export async function up(
  options: {
    nodes?: number;
    realNodes?: number;
    manifests?: string[];
    onReady?: (c: LocalCluster, stopping: AbortSignal) => Promise<"stop" | void>;
  } = {},
) {
  // Listening from the start, so a signal during start-up still stops cleanly.
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  let cluster: LocalCluster | undefined;
  try {
    cluster = await LocalCluster.start({
      nodes: options.nodes,
      realNodes: options.realNodes,
      manifests: options.manifests,
      log: (m) => console.error(`cluster: ${m}`),
    });
    console.error(`cluster: kubeconfig ${cluster.kubeconfigPath}`);
    console.error(`cluster: export KUBECONFIG=${cluster.kubeconfigPath}`);
    console.error(`cluster: kubectl is ${cluster.binaries.kubectl}`);
    if (stopping.signal.aborted) return;
    if (await options.onReady?.(cluster, stopping.signal) === "stop") return;
    console.error("cluster: running; Ctrl-C stops it and removes everything");
    const { promise, resolve } = Promise.withResolvers<void>();
    stopping.signal.addEventListener("abort", () => resolve());
    if (!stopping.signal.aborted) await promise;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    if (cluster) {
      const started = performance.now();
      await cluster.stop();
      console.error(`cluster: stopped in ${((performance.now() - started) / 1000).toFixed(1)}s`);
    }
  }
}

/**
 * `cluster run`: the control plane (one real node where possible, else kwok),
 * the CRD, and pgop as a child process (its logs on this terminal). SIGINT or
 * SIGTERM to this process stops pgop (SIGTERM), then the cluster; so does
 * pgop ending by itself.
 */
async function run(pgopArgs: string[]): Promise<void> {
  const unavailable = await realNodeUnavailable();
  console.error(
    unavailable === undefined
      ? "cluster: mode: one real node (containerd + kubelet): Databases run a real PostgreSQL"
      : `cluster: mode: kwok simulated nodes only (no real node: ${unavailable}); pods do not really run`,
  );
  await up({
    nodes: unavailable === undefined ? 0 : undefined,
    realNodes: unavailable === undefined ? 1 : 0,
    // Installed before the controller manager starts, so that its garbage
    // collector watches Databases from the start.
    manifests: [fileURLToPath(new URL("../../crds/database.yaml", import.meta.url))],
    onReady: async (cluster, stopping) => {
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
          LAG_OBSERVER_OFF,
          ...pgopArgs,
        ],
        stdin: "null",
      }).spawn();
      const forward = () => {
        try {
          child.kill("SIGTERM");
        } catch {
          // Already exited.
        }
      };
      stopping.addEventListener("abort", forward);
      if (stopping.aborted) forward();
      const status = await child.status;
      stopping.removeEventListener("abort", forward);
      console.error(`cluster: pgop exited with ${status.code}; stopping the cluster`);
      return "stop";
    },
  });
}

if (import.meta.main) {
  const [command = "up", ...rest] = Deno.args;
  try {
    if (command === "up") {
      const { values } = parseArgs({
        args: rest,
        options: { nodes: { type: "string" }, "real-nodes": { type: "string" } },
      });
      await up({
        nodes: values.nodes === undefined ? undefined : Number(values.nodes),
        realNodes: Number(values["real-nodes"] ?? 0),
      });
    } else if (command === "run") await run(rest.filter((a) => a !== "--"));
    else if (command === "build") console.log((await ensureBinaries()).dir);
    else throw new Error(`Unknown command "${command}" (expected up, run or build)`);
  } catch (err) {
    console.error(`cluster: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  }
}
