/**
 * Locates (building on first use) the control-plane binaries: runs
 * `cluster/build.sh`, which builds from the Go wrapper modules into a cache
 * directory keyed by version and prints it.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const buildScript = fileURLToPath(new URL("../../cluster/build.sh", import.meta.url));
let cached: Promise<string> | undefined;

/** Paths of the binaries in the cache directory. */
export interface Binaries {
  readonly dir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kubectl: string;
  readonly kubelet: string;
  readonly kubeProxy: string;
  readonly kwok: string;
}

/**
 * Builds the binaries if needed (about 20 minutes cold on 2 cores; build
 * progress goes to stderr) and returns their paths.
 */
export async function ensureBinaries(): Promise<Binaries> {
  cached ??= buildOutput([], "Building the control plane");
  const dir = await cached;
  return {
    dir,
    etcd: `${dir}/etcd`,
    kubeApiserver: `${dir}/kube-apiserver`,
    kubeControllerManager: `${dir}/kube-controller-manager`,
    kubeScheduler: `${dir}/kube-scheduler`,
    kubectl: `${dir}/kubectl`,
    kubelet: `${dir}/kubelet`,
    kubeProxy: `${dir}/kube-proxy`,
    kwok: `${dir}/kwok`,
  };
}

let corednsDir: Promise<string> | undefined;

/**
 * Builds CoreDNS if needed (`cluster/build.sh coredns`, about 3 minutes cold;
 * only clusters with real nodes need it) and returns the binary's path.
 */
export async function ensureCoreDns(): Promise<string> {
  corednsDir ??= buildOutput(["coredns"], "Building CoreDNS");
  return `${await corednsDir}/coredns`;
}

async function buildOutput(args: string[], what: string): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [buildScript, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error(`${what} failed (bash ${buildScript} ${args.join(" ")}); see the output above`);
  }
  return new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
}
