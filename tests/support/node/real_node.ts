/**
 * One real node's runtime: containerd with the local images imported, and a
 * kubelet. It can be killed and started again (node loss and return), the
 * way a machine that loses power comes back with its disk intact.
 *
 * @module
 */
import { join } from "node:path";
import { Component } from "../process.ts";
import { createCgroupRoot } from "./cgroups.ts";
import { cniConfigJson } from "./cni_config.ts";
import { containerdConfigToml } from "./containerd_config.ts";
import { killNode } from "./host_cleanup.ts";
import { run } from "./host_command.ts";
import { kubeletArgs, kubeletConfigYaml } from "./kubelet_config.ts";
import type { NodePlan, RealNodesPlan } from "./plan.ts";

/** Images every node holds: docker-archive tars, and the pod sandbox's among them. */
export interface NodeImages {
  readonly sandboxImage: string;
  readonly sandboxArchive: string;
  readonly archives: readonly string[];
}

/** What a node needs from its cluster. */
export interface RealNodeDeps {
  readonly kubelet: string;
  readonly caCert: string;
  /** kubelet's kubeconfig (client certificate `system:node:<name>`). */
  readonly kubeconfig: string;
  readonly images: NodeImages;
  /** Taint the node (see kubelet_config.ts). */
  readonly taint: boolean;
  /** Called with every process the node starts, before it is waited for. */
  readonly started: (pid: number) => Promise<void>;
}

/** containerd and kubelet of one node. */
export class RealNode {
  readonly plan: NodePlan;
  readonly #cluster: RealNodesPlan;
  readonly #deps: RealNodeDeps;
  #containerd: Component | undefined;
  #kubelet: Component | undefined;

  constructor(cluster: RealNodesPlan, plan: NodePlan, deps: RealNodeDeps) {
    this.#cluster = cluster;
    this.plan = plan;
    this.#deps = deps;
  }

  /** Writes the node's configuration, creates its cgroups, imports the images (first start only). */
  async prepare(): Promise<void> {
    const { dir } = this.plan;
    await Deno.mkdir(join(dir, "cni"), { recursive: true });
    await Deno.mkdir(join(dir, "pod-logs"), { recursive: true });
    await createCgroupRoot(this.plan.cgroupRoot);
    await Deno.writeTextFile(
      join(dir, "containerd.toml"),
      containerdConfigToml(this.plan, this.#deps.images.sandboxImage),
    );
    await Deno.writeTextFile(join(dir, "cni", "10-pgop.conflist"), cniConfigJson(this.plan));
    await Deno.writeTextFile(
      join(dir, "kubelet.yaml"),
      kubeletConfigYaml(this.#cluster, this.plan, {
        caCert: this.#deps.caCert,
        taint: this.#deps.taint,
      }),
    );
    await this.#startContainerd();
    for (const archive of this.#deps.images.archives) {
      // Only the sandbox image unpacked now; containerd unpacks the others on
      // first use, so a node's start copies each image once, not twice.
      await this.importImage(archive, { unpack: archive === this.#deps.images.sandboxArchive });
    }
  }

  /** Imports a docker-archive tar into the node's containerd (`k8s.io` namespace, as kubelet's). */
  async importImage(archive: string, options: { unpack?: boolean } = {}): Promise<void> {
    await run("ctr", [
      "--address",
      this.plan.containerdSocket,
      "--namespace",
      "k8s.io",
      "images",
      "import",
      ...options.unpack ? [] : ["--no-unpack"],
      archive,
    ]);
  }

  /** Starts containerd (if not running) and kubelet. Registration is the cluster's to wait for. */
  async start(): Promise<void> {
    if (!this.#containerd || this.#containerd.exited) await this.#startContainerd();
    const kubelet = this.#spawn(
      "kubelet",
      this.#deps.kubelet,
      kubeletArgs(this.plan, {
        config: join(this.plan.dir, "kubelet.yaml"),
        kubeconfig: this.#deps.kubeconfig,
      }),
    );
    this.#kubelet = kubelet;
    await this.#deps.started(kubelet.pid);
  }

  /**
   * SIGKILLs kubelet, containerd, the shims and every container process (as
   * a lost machine would stop); mounts and cgroups stay for {@link start} or clean-up.
   */
  async kill(): Promise<string[]> {
    const pids = [this.#kubelet, this.#containerd].filter((c) => c !== undefined).map((c) => c.pid);
    const problems = await killNode(this.plan, pids);
    await Promise.all([this.#kubelet?.wait(), this.#containerd?.wait()]);
    // A killed containerd leaves its shims' sockets, which a new one would trip over.
    await Deno.remove(join(this.plan.dir, "containerd", "state", "io.containerd.runtime.v2.task"), {
      recursive: true,
    }).catch(() => {});
    return problems;
  }

  /** Resolves once kubelet and containerd have exited (after {@link kill} or clean-up). */
  async wait(): Promise<void> {
    await Promise.all([this.#kubelet?.wait(), this.#containerd?.wait()]);
  }

  /** The last lines of kubelet's log, for errors. */
  async tail(): Promise<string> {
    return `${await this.#kubelet?.tail() ?? ""}\n${await this.#containerd?.tail() ?? ""}`;
  }

  /** kubelet or containerd, if one of them exited on its own. */
  get exited(): Component | undefined {
    return [this.#kubelet, this.#containerd].find((c) => c?.exited);
  }

  async #startContainerd(): Promise<void> {
    const containerd = this.#spawn("containerd", "containerd", [
      "--config",
      join(this.plan.dir, "containerd.toml"),
    ]);
    this.#containerd = containerd;
    await this.#deps.started(containerd.pid);
    const deadline = performance.now() + 30_000;
    for (;;) {
      try {
        await run("ctr", ["--address", this.plan.containerdSocket, "version"]);
        return;
      } catch (err) {
        if (containerd.exited || performance.now() > deadline) {
          throw new Error(
            `containerd of node ${this.plan.name} did not start:\n${await containerd
              .tail()}`,
            { cause: err },
          );
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  #spawn(name: string, bin: string, args: string[]): Component {
    return Component.start(`${name}-${this.plan.index}`, bin, args, {
      logFile: join(this.plan.dir, `${name}.log`),
      cwd: this.plan.dir,
    });
  }
}
