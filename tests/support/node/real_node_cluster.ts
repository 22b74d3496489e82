/**
 * Real nodes as part of a LocalCluster: what the control plane needs before
 * it starts (the kubelet client certificate, the host's real-node lock, the
 * images and CoreDNS built), the nodes themselves once it runs, their
 * StorageClass and provisioner, and the order of it all on stop.
 *
 * @module
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { loadKubeconfig } from "../../../lib/kube/kubeconfig.ts";
import { RestClient } from "../../../lib/kube/rest_client.ts";
import { ensureCoreDns } from "../binaries.ts";
import type { Binaries } from "../binaries.ts";
import { type ClusterCerts, issueClientCert } from "../certs.ts";
import { realNodeApiserverArgs, SERVICE_CIDR } from "../component_args.ts";
import { ensureImages } from "../images.ts";
import { waitUntil } from "../wait.ts";
import { ApiServerBridge } from "./apiserver_bridge.ts";
import { acquireNodeLock, releaseNodeLock } from "./node_lock.ts";
import { REAL_NODE_KEY } from "./plan.ts";
import { LocalVolumeProvisioner, storageClass } from "./provisioner.ts";
import type { NodeImages } from "./real_node.ts";
import { RealNodes } from "./real_nodes.ts";

/** Every local image, on every node: nothing can be pulled here. */
async function nodeImages(): Promise<NodeImages> {
  const { pause, postgres, psql } = await ensureImages();
  return {
    sandboxImage: pause.ref,
    sandboxArchive: pause.tar,
    archives: [pause.tar, postgres.tar, psql.tar],
  };
}

/** What the real nodes need from their running cluster. */
export interface ClusterAccess {
  readonly dir: string;
  readonly server: string;
  readonly certs: ClusterCerts;
  readonly kubeconfigPath: string;
  readonly binaries: Binaries;
  kubectl(args: readonly string[], options?: { input?: string }): Promise<string>;
}

/** A cluster's real nodes from before its control plane starts until after it stops. */
export class RealNodeCluster {
  /** Extra kube-apiserver flags (Node authorizer, kubelet client certificate). */
  readonly apiserverArgs: readonly string[];
  readonly #count: number;
  readonly #dir: string;
  readonly #builds: Promise<[string, NodeImages]>;
  #nodes: RealNodes | undefined;
  #provisioner: { abort: AbortController; done: Promise<void>; client: RestClient } | undefined;
  #bridge: ApiServerBridge | undefined;

  private constructor(dir: string, count: number, apiserverArgs: string[]) {
    this.#dir = dir;
    this.#count = count;
    this.apiserverArgs = apiserverArgs;
    this.#builds = Promise.all([ensureCoreDns(), nodeImages()]);
    this.#builds.catch(() => {}); // Awaited in start(); not unhandled if start() never comes.
  }

  /** Takes the host's real-node lock, starts building CoreDNS and the images, issues certificates. */
  static async prepare(dir: string, count: number): Promise<RealNodeCluster> {
    await acquireNodeLock(dir);
    // The API server's identity towards kubelets (in system:masters, so the
    // kubelets' webhook authorizer allows it everything).
    const { cert, key } = await issueClientCert(dir, "apiserver-kubelet-client", "kube-apiserver", [
      "system:masters",
    ]);
    const certPath = join(dir, "apiserver-kubelet-client.pem");
    const keyPath = join(dir, "apiserver-kubelet-client-key.pem");
    await Deno.writeTextFile(certPath, cert);
    await Deno.writeTextFile(keyPath, key);
    return new RealNodeCluster(dir, count, realNodeApiserverArgs({ cert: certPath, key: keyPath }));
  }

  /** Node names, e.g. `["127.0.0.1"]`. */
  get names(): string[] {
    return this.#nodes?.names ?? [];
  }

  /** The nodes, once started. */
  get nodes(): RealNodes | undefined {
    return this.#nodes;
  }

  /** Starts the nodes and waits until they are Ready and schedulable; then storage. */
  async start(cluster: ClusterAccess, options: { taint: boolean }): Promise<void> {
    const [coredns, images] = await this.#builds;
    this.#nodes = await RealNodes.start({
      count: this.#count,
      clusterDir: cluster.dir,
      server: cluster.server,
      certs: cluster.certs,
      adminKubeconfig: cluster.kubeconfigPath,
      serviceCidr: SERVICE_CIDR,
      binaries: {
        kubelet: cluster.binaries.kubelet,
        kubeProxy: cluster.binaries.kubeProxy,
        coredns,
      },
      images,
      taint: options.taint,
    });
    const nodes = this.#nodes;
    await waitUntil("real nodes Ready", async () => {
      const failure = await nodes.failure();
      if (failure) throw new Error(failure);
      const out = await cluster.kubectl([
        "get",
        "nodes",
        `--selector=${REAL_NODE_KEY}=true`,
        "-o",
        'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{.spec.taints[*].key}{"\\n"}{end}',
      ]);
      const lines = out.trim().split("\n");
      // Ready, and the not-ready taint removed by the node-lifecycle controller.
      return lines.length === nodes.names.length &&
        lines.every((l) => l.startsWith("True") && !l.includes("node.kubernetes.io/not-ready"));
    }, { timeoutMs: 60_000 });
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], {
      input: stringify(storageClass()),
    });
    // Pods reach the API server (in-cluster configuration) through the first bridge.
    this.#bridge = await ApiServerBridge.start(
      (args, options) => cluster.kubectl(args, options),
      nodes.plan.dnsIp,
      Number(new URL(cluster.server).port),
    );
    const client = new RestClient(await loadKubeconfig({ path: cluster.kubeconfigPath }), {
      qps: 0,
    });
    const abort = new AbortController();
    const provisioner = new LocalVolumeProvisioner(client, {
      dir: join(this.#dir, "volumes"),
      realNodes: nodes.names,
      log: (m) =>
        Deno.writeTextFile(join(this.#dir, "provisioner.log"), `${m}\n`, { append: true }),
    });
    this.#provisioner = { abort, client, done: provisioner.run(abort.signal) };
  }

  /** Stops the provisioner and the nodes, undoes their host changes, releases the lock. */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    await this.#bridge?.close();
    if (this.#provisioner) {
      this.#provisioner.abort.abort();
      await this.#provisioner.done.catch((err) => problems.push(`provisioner: ${err}`));
      this.#provisioner.client.close();
    }
    if (this.#nodes) problems.push(...await this.#nodes.stop());
    await releaseNodeLock(this.#dir);
    return problems;
  }
}
