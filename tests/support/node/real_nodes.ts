/**
 * A cluster's real nodes and what they share: bridges, the egress guard,
 * CoreDNS and one kube-proxy. Everything is planned and recorded in the
 * cluster directory before it is created (host_record.ts), so stop() and the
 * reaper undo it from the record alone.
 *
 * @module
 */
import { join } from "node:path";
import { type ClusterCerts, issueClientCert } from "../certs.ts";
import { kubeconfigYaml } from "../kubeconfig.ts";
import { freePorts } from "../ports.ts";
import { Component } from "../process.ts";
import { corednsArgs, corefile } from "./coredns.ts";
import { cleanupRealNodes } from "./host_cleanup.ts";
import { run } from "./host_command.ts";
import { HOST_DIRS, type HostRecord, writeRecord } from "./host_record.ts";
import { installEgressGuard } from "./iptables.ts";
import { kubeProxyArgs } from "./kube_proxy.ts";
import { netnsNames } from "./mounts.ts";
import { planRealNodes, type RealNodesPlan } from "./plan.ts";
import { type NodeImages, RealNode } from "./real_node.ts";
import { readTunables } from "./sysctls.ts";

/** What {@link RealNodes.start} needs from its cluster. */
export interface RealNodesOptions {
  readonly count: number;
  readonly clusterDir: string;
  readonly server: string;
  readonly certs: ClusterCerts;
  /** The admin kubeconfig (CoreDNS reads Services and EndpointSlices with it). */
  readonly adminKubeconfig: string;
  readonly serviceCidr: string;
  readonly binaries: {
    readonly kubelet: string;
    readonly kubeProxy: string;
    readonly coredns: string;
  };
  readonly images: NodeImages;
  /** Taint the nodes, so that only pods tolerating it land there (when kwok nodes exist too). */
  readonly taint: boolean;
}

/** A cluster's real nodes, running. */
export class RealNodes {
  readonly plan: RealNodesPlan;
  readonly #record: HostRecord;
  readonly #nodes = new Map<string, RealNode>();
  readonly #shared: Component[] = [];
  #writes: Promise<void> = Promise.resolve();

  private constructor(record: HostRecord) {
    this.plan = record.plan;
    this.#record = record;
  }

  /** Creates and starts the nodes; on failure undoes what was done and rethrows. */
  static async start(options: RealNodesOptions): Promise<RealNodes> {
    const ports = freePorts(2 * options.count + 2);
    const plan = planRealNodes(options.clusterDir, options.count, {
      serviceCidr: options.serviceCidr,
      ports,
    });
    const hostDirsBefore: Record<string, boolean> = {};
    for (const dir of HOST_DIRS) {
      hostDirsBefore[dir] = await Deno.stat(dir).then(() => true, () => false);
    }
    const runNetns = await Deno.stat("/run/netns").then(() => true, () => false);
    const nodes = new RealNodes({
      plan,
      pids: [],
      tunables: await readTunables(),
      netnsBefore: runNetns ? await netnsNames() : null,
      hostDirsBefore,
    });
    await writeRecord(nodes.#record);
    try {
      await nodes.#start(options, ports.slice(-2) as [number, number]);
      return nodes;
    } catch (err) {
      const problems = await nodes.stop().catch((e) => [String(e)]);
      throw new Error(
        `Real nodes did not start${problems.length ? ` (clean-up: ${problems.join("; ")})` : ""}`,
        { cause: err },
      );
    }
  }

  /** Node names (`127.0.0.1`, …), which are also their InternalIPs. */
  get names(): string[] {
    return this.plan.nodes.map((n) => n.name);
  }

  /** A node that died on its own, with its log's last lines; undefined while all run. */
  async failure(): Promise<string | undefined> {
    for (const node of this.#nodes.values()) {
      const exited = node.exited;
      if (exited) return `${exited.name} exited (${exited.exited?.code}):\n${await node.tail()}`;
    }
    return undefined;
  }

  /** SIGKILLs a node's kubelet, containerd, shims and containers (a lost machine). */
  async stopNode(name: string): Promise<void> {
    const problems = await this.#node(name).kill();
    if (problems.length > 0) {
      throw new Error(`Node ${name} not fully stopped: ${problems.join("; ")}`);
    }
  }

  /** Starts a stopped node's containerd and kubelet again. */
  async startNode(name: string): Promise<void> {
    await this.#node(name).start();
  }

  /** Imports a docker-archive tar into every node's containerd (an image built after the start). */
  async importImage(archive: string): Promise<void> {
    await Promise.all([...this.#nodes.values()].map((n) => n.importImage(archive)));
  }

  /** Stops everything and undoes every change to the host; resolves with what could not be undone. */
  async stop(): Promise<string[]> {
    const problems = await cleanupRealNodes(this.#record);
    if (problems.length === 0) {
      // The images (hundreds of MB per node) go even when a failed test keeps the directory's logs.
      for (const node of this.plan.nodes) {
        await Deno.remove(join(node.dir, "containerd"), { recursive: true }).catch(() => {});
      }
    }
    await Promise.all([
      ...this.#shared.map((c) => c.wait()),
      ...[...this.#nodes.values()].map((n) => n.wait()),
    ]);
    return problems;
  }

  #node(name: string): RealNode {
    const node = this.#nodes.get(name);
    if (!node) throw new RangeError(`No real node "${name}" (have ${this.names.join(", ")})`);
    return node;
  }

  #started = (pid: number): Promise<void> => {
    this.#record.pids.push(pid);
    this.#writes = this.#writes.then(() => writeRecord(this.#record));
    return this.#writes;
  };

  async #kubeconfig(name: string, cn: string, groups: string[]): Promise<string> {
    const { cert, key } = await issueClientCert(this.plan.clusterDir, name, cn, groups);
    const path = join(this.plan.clusterDir, `${name}.kubeconfig`);
    await Deno.writeTextFile(
      path,
      kubeconfigYaml({
        server: this.#server,
        caPem: this.#caPem,
        certPem: cert,
        keyPem: key,
        user: cn,
      }),
    );
    return path;
  }

  #server = "";
  #caPem = "";

  async #start(options: RealNodesOptions, proxyPorts: [number, number]): Promise<void> {
    this.#server = options.server;
    this.#caPem = options.certs.pem.ca;
    for (const node of this.plan.nodes) {
      await run("ip", ["link", "add", "name", node.bridge, "type", "bridge"]);
      await run("ip", ["addr", "add", `${node.gateway}/24`, "dev", node.bridge]);
      await run("ip", ["link", "set", node.bridge, "up"]);
    }
    await installEgressGuard({
      chain: this.plan.guardChain,
      podCidr: this.plan.podCidr,
      allowed: [this.plan.serviceCidr, "127.0.0.0/8"],
    });
    await Promise.all(this.plan.nodes.map(async (plan) => {
      const node = new RealNode(this.plan, plan, {
        kubelet: options.binaries.kubelet,
        caCert: options.certs.caCert,
        kubeconfig: await this.#kubeconfig(`kubelet-${plan.index}`, `system:node:${plan.name}`, [
          "system:nodes",
        ]),
        images: options.images,
        taint: options.taint,
        started: this.#started,
      });
      this.#nodes.set(plan.name, node);
      await node.prepare();
      await node.start();
    }));
    const dir = this.plan.clusterDir;
    await Deno.writeTextFile(join(dir, "Corefile"), corefile(this.plan, options.adminKubeconfig));
    // kube-proxy's own identity, which the default RBAC binds to system:node-proxier.
    const proxyKubeconfig = await this.#kubeconfig("kube-proxy", "system:kube-proxy", []);
    for (
      const [name, bin, args] of [
        ["coredns", options.binaries.coredns, corednsArgs(join(dir, "Corefile"))],
        [
          "kube-proxy",
          options.binaries.kubeProxy,
          kubeProxyArgs(this.plan, proxyKubeconfig, proxyPorts),
        ],
      ] as const
    ) {
      const component = Component.start(name, bin, args, {
        logFile: join(dir, `${name}.log`),
        cwd: dir,
      });
      this.#shared.push(component);
      await this.#started(component.pid);
    }
  }
}
