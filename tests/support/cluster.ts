/**
 * A real Kubernetes control plane on loopback, for pgop's tests, load tests and
 * `deno task cluster`: etcd, kube-apiserver (client-certificate authentication,
 * RBAC), kube-controller-manager, kube-scheduler, kwok with simulated nodes,
 * and real kubelet nodes when asked (node/).
 *
 * ```ts
 * await withCluster({}, async (cluster) => {
 *   await cluster.kubectl(["get", "nodes"]);
 * });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { type Binaries, ensureBinaries } from "./binaries.ts";
import { type ClusterCerts, generateCerts } from "./certs.ts";
import type { ClusterOptions } from "./cluster_options.ts";
import { apiserverArgs, controllerManagerArgs, etcdArgs, kwokArgs } from "./component_args.ts";
import { RealNodeAccess } from "./node/real_node_access.ts";
import { RealNodeCluster } from "./node/real_node_cluster.ts";
import { kubeconfigYaml } from "./kubeconfig.ts";
import { addKwokNodes } from "./kwok_nodes.ts";
import { kwokStagesYaml } from "./kwok_stages.ts";
import { freePorts } from "./ports.ts";
import { Component } from "./process.ts";
import { forgetCluster, reapStaleClusters, rememberCluster } from "./reaper.ts";
import { schedulerConfigYaml } from "./scheduler_config.ts";
import { waitForComponent } from "./wait_component.ts";

const decoder = new TextDecoder();

/** A running local control plane. Stop it with {@link LocalCluster.stop}. */
export class LocalCluster {
  /** Working directory: certificates, kubeconfigs, etcd data, component logs. */
  readonly dir: string;
  /** Admin kubeconfig (client certificate in group system:masters). */
  readonly kubeconfigPath: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** `http://127.0.0.1:<port>` */
  readonly etcdUrl: string;
  readonly certs: ClusterCerts;
  readonly binaries: Binaries;
  readonly #components = new Map<string, Component>();
  readonly #args = new Map<string, string[]>();
  readonly #log: (message: string) => void;
  #real: RealNodeCluster | undefined;

  private constructor(init: {
    dir: string;
    certs: ClusterCerts;
    binaries: Binaries;
    apiserverPort: number;
    etcdPort: number;
    log: (message: string) => void;
  }) {
    this.dir = init.dir;
    this.certs = init.certs;
    this.binaries = init.binaries;
    this.server = `https://127.0.0.1:${init.apiserverPort}`;
    this.etcdUrl = `http://127.0.0.1:${init.etcdPort}`;
    this.kubeconfigPath = join(init.dir, "admin.kubeconfig");
    this.#log = init.log;
  }

  /** Builds the binaries if needed, starts every component and waits until nodes are Ready. */
  static async start(options: ClusterOptions = {}): Promise<LocalCluster> {
    const log = options.log ?? (() => {});
    const binaries = await ensureBinaries();
    await reapStaleClusters();
    const dir = await Deno.makeTempDir({ prefix: "pgop-cluster-" });
    await rememberCluster(dir);
    const started = performance.now();
    const [etcdPort, etcdPeerPort, apiserverPort] = freePorts(3);
    const cluster = new LocalCluster({
      dir,
      certs: await generateCerts(dir),
      binaries,
      apiserverPort,
      etcdPort,
      log,
    });
    const realNodes = options.realNodes ?? 0;
    try {
      if (realNodes > 0) cluster.#real = await RealNodeCluster.prepare(dir, realNodes);
      await cluster.#writeConfig({ volumes: realNodes > 0 });
      cluster.#args.set("etcd", etcdArgs(cluster, etcdPeerPort));
      cluster.#args.set(
        "kube-apiserver",
        apiserverArgs(cluster, apiserverPort, [
          ...cluster.#real?.apiserverArgs ?? [],
          ...options.apiserverArgs ?? [],
        ]),
      );
      await cluster.startComponent("etcd");
      await cluster.startComponent("kube-apiserver");
      for (const manifest of options.manifests ?? []) {
        await cluster.kubectl(["apply", "--server-side", "-f", manifest]);
      }
      if (options.workloads ?? true) {
        cluster.#args.set(
          "kube-controller-manager",
          controllerManagerArgs(cluster, { storage: realNodes > 0 }),
        );
        cluster.#args.set("kube-scheduler", [
          "--config",
          join(dir, "scheduler.yaml"),
          "--secure-port=0",
        ]);
        cluster.#args.set("kwok", kwokArgs(cluster));
        await Promise.all(
          ["kube-controller-manager", "kube-scheduler", "kwok"].map((c) =>
            cluster.startComponent(c)
          ),
        );
        const kwokNodes = options.nodes ?? 3;
        await Promise.all([
          addKwokNodes(cluster, kwokNodes),
          cluster.#real?.start(cluster, { taint: kwokNodes > 0 }),
        ]);
      }
      log(
        `control plane ready in ${
          ((performance.now() - started) / 1000).toFixed(1)
        }s at ${cluster.server}`,
      );
      return cluster;
    } catch (err) {
      await cluster.stop({ keepDir: true });
      throw err;
    }
  }

  /** Runs kubectl against this cluster; rejects with kubectl's stderr on failure. */
  async kubectl(args: readonly string[], options: { input?: string } = {}): Promise<string> {
    const child = new Deno.Command(this.binaries.kubectl, {
      args: ["--kubeconfig", this.kubeconfigPath, ...args],
      stdin: options.input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (options.input !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.input));
      await writer.close();
    }
    const out = await child.output();
    if (!out.success) {
      throw new Error(`kubectl ${args.join(" ")} failed: ${decoder.decode(out.stderr).trim()}`);
    }
    return decoder.decode(out.stdout);
  }

  /** `kubectl apply --server-side -f -` of the given objects. */
  async apply(objects: readonly unknown[]): Promise<void> {
    const input = objects.map((o) => stringify(o)).join("---\n");
    await this.kubectl(["apply", "--server-side", "--field-manager=pgop-tests", "-f", "-"], {
      input,
    });
  }

  /** A component started by this cluster (etcd, kube-apiserver, …), if running. */
  component(name: string): Component | undefined {
    return this.#components.get(name);
  }

  /** (Re)starts a component with the arguments it was first started with and waits until it serves. */
  async startComponent(name: string): Promise<void> {
    const args = this.#args.get(name);
    if (!args) throw new RangeError(`Unknown component "${name}"`);
    const bin = {
      etcd: this.binaries.etcd,
      "kube-apiserver": this.binaries.kubeApiserver,
      "kube-controller-manager": this.binaries.kubeControllerManager,
      "kube-scheduler": this.binaries.kubeScheduler,
      kwok: this.binaries.kwok,
    }[name] ?? name;
    const component = Component.start(name, bin, args, {
      logFile: join(this.dir, `${name}.log`),
      // kwok also loads ~/.kwok/kwok.yaml: give every component a HOME of its own.
      env: { HOME: this.dir },
      cwd: this.dir,
    });
    this.#components.set(name, component);
    await Deno.writeTextFile(
      join(this.dir, "pids"),
      [...this.#components.values()].map((c) => `${c.pid}\n`).join(""),
    );
    if (name === "etcd") {
      await waitForComponent(
        "etcd",
        component,
        async () => {
          const res = await fetch(`${this.etcdUrl}/health`);
          await res.body?.cancel();
          return res.ok;
        },
      );
    } else if (name === "kube-apiserver") {
      await waitForComponent("kube-apiserver", component, () => this.#apiserverReady());
    }
  }

  /** Stops a component (SIGTERM, then SIGKILL). */
  async stopComponent(
    name: string,
    signal: Deno.Signal = "SIGTERM",
    graceMs = 5_000,
  ): Promise<void> {
    const component = this.#components.get(name);
    if (!component) return;
    if (signal === "SIGKILL") component.kill("SIGKILL");
    await component.stop(graceMs);
    this.#components.delete(name);
  }

  /** Stops and starts kube-apiserver on the same port; resolves when it is ready again. */
  async restartApiserver(downMs = 0): Promise<void> {
    await this.stopComponent("kube-apiserver", "SIGTERM", 2_000); // lingers with a watch open
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.startComponent("kube-apiserver");
  }

  /** Its real nodes (client pods, the egress guard, node loss). @throws {RangeError} without */
  get realNodes(): RealNodeAccess {
    if (!this.#real) throw new RangeError("This cluster has no real nodes");
    return new RealNodeAccess((args, options) => this.kubectl(args, options), this.#real);
  }

  /** Stops every component; removes the directory unless `keepDir` (logs kept for a failed run). */
  async stop(options: { keepDir?: boolean } = {}): Promise<void> {
    const started = performance.now();
    const problems = await this.#real?.stop() ?? [];
    if (this.#real) {
      this.#log(`real nodes stopped in ${Math.round(performance.now() - started)} ms`);
    }
    if (problems.length > 0) {
      // Never remove a directory that may still have something mounted in it.
      this.#log(`real nodes not fully cleaned up: ${problems.join("; ")}`);
      options = { keepDir: true };
    }
    const order = ["kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"];
    for (const name of order) await this.stopComponent(name);
    for (const name of [...this.#components.keys()]) await this.stopComponent(name);
    if (options.keepDir) {
      this.#log(`control plane logs kept in ${this.dir}`);
    } else {
      await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    }
    await forgetCluster(this.dir);
  }

  async #writeConfig(scheduler: { volumes: boolean }): Promise<void> {
    const { pem } = this.certs;
    await Deno.writeTextFile(
      this.kubeconfigPath,
      kubeconfigYaml({ server: this.server, caPem: pem.ca, certPem: pem.cert, keyPem: pem.key }),
    );
    await Deno.writeTextFile(join(this.dir, "kwok-stages.yaml"), kwokStagesYaml());
    await Deno.writeTextFile(
      join(this.dir, "scheduler.yaml"),
      schedulerConfigYaml(this.kubeconfigPath, scheduler),
    );
  }

  async #apiserverReady(): Promise<boolean> {
    const { pem } = this.certs;
    const client = Deno.createHttpClient({ caCerts: [pem.ca], cert: pem.cert, key: pem.key });
    try {
      const res = await fetch(`${this.server}/readyz`, { client });
      await res.body?.cancel();
      return res.ok;
    } finally {
      client.close();
    }
  }
}

/**
 * Starts a cluster, runs `fn`, and stops the cluster whatever happens. On
 * failure the directory (with every component's log) is kept and named.
 */
export async function withCluster<T>(
  options: ClusterOptions,
  fn: (cluster: LocalCluster) => Promise<T>,
): Promise<T> {
  const cluster = await LocalCluster.start(options);
  let ok = false;
  try {
    const result = await fn(cluster);
    ok = true;
    return result;
  } finally {
    await cluster.stop({ keepDir: !ok });
    if (!ok) console.error(`control plane logs kept in ${cluster.dir}`);
  }
}
