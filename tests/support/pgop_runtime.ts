/**
 * How pgop's process is started, in one place for every launcher of main.ts
 * (tests, benchmarks, `deno task pgop`, `deno task cluster run`) and for the
 * Dockerfile's `deno compile`: the V8 flags and Deno's permissions, each
 * scoped to what pgop uses. pgop_runtime_test.ts checks that the Dockerfile
 * says the same; tests/sandbox_test.ts runs main.ts with them and shows what
 * they deny.
 *
 * The permissions are one recipe with inputs that only a deployment
 * knows: which API server pgop talks to, which addresses it listens on and
 * where its databases' pods are (`--allow-net`), and which files hold its
 * credentials (`--allow-read`).
 * {@link IN_CLUSTER} is the Dockerfile's; launchers that know the cluster
 * (a kubeconfig) build theirs with {@link targetFor}.
 *
 * @module
 */
import type { Config } from "../../lib/config.ts";
import { readKubeconfigFiles } from "../../lib/kube/kubeconfig_file.ts";

/**
 * V8 flags pgop runs with. V8 lets each of the young generation's semi-spaces
 * grow to 16 MiB on 64-bit machines: pgop's allocation bursts (a list of
 * 10,000 objects, a burst of reconciles) would keep ~50 MB of heap committed
 * for objects that die young. At 2 MiB the heap stays within a few MB of
 * what is live; scavenges are more frequent and each is shorter (bench/README.md
 * has the measurement).
 */
export const PGOP_V8_FLAGS = "--max-semi-space-size=2";

/**
 * The environment variables pgop reads, and nothing else (`--allow-env`):
 * its flags as `PGOP_*`; `POD_NAMESPACE` (the Lease's default namespace) and
 * `HOSTNAME` (the leader identity), set in a pod; `KUBECONFIG` and `HOME` to
 * find a kubeconfig; `KUBERNETES_SERVICE_HOST`/`_PORT` for the in-cluster
 * configuration; `LOG_TOKENS` and `LOG_STREAM`, which the `yaml` package
 * reads while parsing a kubeconfig (it throws without them); `PGAPPNAME`
 * and `PGTARGETSESSIONATTRS`, which the `postgres` package reads on every
 * connection whatever its options say (lib/database/replication_probe.ts sets
 * everything else explicitly, so no other `PG*` variable is read).
 */
export const PGOP_ENV: readonly string[] = [
  "PGOP_*",
  "POD_NAMESPACE",
  "HOSTNAME",
  "KUBECONFIG",
  "HOME",
  "KUBERNETES_SERVICE_HOST",
  "KUBERNETES_SERVICE_PORT",
  "LOG_TOKENS",
  "LOG_STREAM",
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
];

/** The only system information pgop asks for (`--allow-sys`): the host name, for the leader identity. */
export const PGOP_SYS: readonly string[] = ["hostname"];

/** Where pgop connects and listens, and what it reads: what only a deployment knows. */
export interface PgopTarget {
  /** `host:port` of the API server (and nothing else pgop connects to). */
  readonly apiServer: string;
  /** `host:port` pgop listens on: metrics, health probes. */
  readonly listen: readonly string[];
  /** Files and directories pgop reads: kubeconfig, credentials, the metrics certificate. */
  readonly read: readonly string[];
  /**
   * Where pgop connects to PostgreSQL: the primaries' pod IPs on 5432, for
   * the replication lag (lib/database/lag_observer.ts). Pod IPs are not known
   * in advance; Deno takes an IPv4 CIDR with a port (`10.244.0.0/16:5432`),
   * not an IPv6 one. Empty or absent: none (the observer off).
   */
  readonly databases?: readonly string[];
}

/**
 * Any IPv4 address on PostgreSQL's port: where pods may be depends on the
 * cluster's pod network, which the image cannot know. A deployment that
 * knows its pod CIDR narrows it (`<cidr>:5432`).
 */
export const ANY_POD_POSTGRES = "0.0.0.0/0:5432";

/**
 * Turns the replication lag observer off. Every launcher in tests/ and bench/
 * passes it first (a later flag wins): kwok's simulated pods have made-up IPs
 * that are not on this machine, and pgop must never connect to them. Tests on
 * real nodes turn it on again with a later `--replication-lag-interval`.
 */
export const LAG_OBSERVER_OFF = "--replication-lag-interval=0";

/** The service account's token, CA and namespace, mounted into every pod. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * pgop in a pod, as the Dockerfile compiles it. The API server's service IP
 * differs from cluster to cluster, its name does not: lib/kube/kubeconfig.ts
 * connects to `kubernetes.default.svc` when the IP in
 * `KUBERNETES_SERVICE_HOST` is not allowed. Listening: the secure metrics
 * port and the health probes of deploy/. Reading: the service account, and
 * `/etc/pgop` for a mounted metrics certificate (`--metrics-cert-dir`).
 * Connecting, besides: PostgreSQL on any IPv4 pod ({@link ANY_POD_POSTGRES}),
 * for the replication lag.
 */
export const IN_CLUSTER: PgopTarget = {
  apiServer: "kubernetes.default.svc:443",
  listen: ["0.0.0.0:8443", "0.0.0.0:8081"],
  read: [SERVICE_ACCOUNT_DIR, "/etc/pgop"],
  databases: [ANY_POD_POSTGRES],
};

/** The `--allow-*` flags for `target`: nothing unscoped, no run, write or FFI. */
export function pgopPermissions(target: PgopTarget = IN_CLUSTER): string[] {
  return [
    `--allow-net=${[target.apiServer, ...target.listen, ...target.databases ?? []].join(",")}`,
    // An empty `--allow-read=` would not mean "nothing": leave the flag out.
    ...(target.read.length > 0 ? [`--allow-read=${target.read.join(",")}`] : []),
    `--allow-env=${PGOP_ENV.join(",")}`,
    `--allow-sys=${PGOP_SYS.join(",")}`,
  ];
}

/**
 * The permissions of pgop on this machine's local control plane, for tests
 * and benchmarks: loopback at any port (the API server's port is chosen at
 * random, and so are pgop's with `127.0.0.1:0`), and the kubeconfig named by
 * `--kubeconfig` in `args` (it embeds its certificates).
 */
export function localPermissions(args: readonly string[]): string[] {
  const i = args.findIndex((a) => a === "--kubeconfig" || a.startsWith("--kubeconfig="));
  const kubeconfig = i < 0
    ? undefined
    : args[i].includes("=")
    ? args[i].slice(args[i].indexOf("=") + 1)
    : args[i + 1];
  return pgopPermissions({
    apiServer: "127.0.0.1",
    listen: [],
    read: kubeconfig ? [kubeconfig] : [],
  });
}

/** `deno run` flags before main.ts: the V8 flags and `permissions`. */
export function pgopRunFlags(permissions: readonly string[] = pgopPermissions()): string[] {
  return [`--v8-flags=${PGOP_V8_FLAGS}`, ...permissions];
}

/** `host:port` of a URL, with the scheme's default port. */
export function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
}

/** `host:port` of a listen address as Deno checks it ("" or "::" host as written). */
function listenAddress(hostname: string, port: number): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/**
 * The target of a pgop started with `config` against a kubeconfig: the
 * kubeconfig files and the certificate and token files they name, its
 * context's server, and the addresses `config` listens on. Kubeconfigs with
 * credential plugins (exec) are not supported this way: a plugin is a program
 * to run, which pgop's sandbox does not allow.
 */
export async function targetFor(config: Config, kubeconfigFiles: readonly string[]) {
  const data = await readKubeconfigFiles(kubeconfigFiles);
  const context = data.contexts.get(config.context ?? data.currentContext ?? "");
  const cluster = data.clusters.get(String(context?.cluster ?? ""));
  const user = data.users.get(String(context?.user ?? ""));
  if (typeof cluster?.server !== "string") {
    throw new Error(`No server for the context in ${data.source}`);
  }
  const files = [cluster["certificate-authority"], user?.["client-certificate"]]
    .concat(user?.["client-key"], user?.["token-file"])
    .filter((f): f is string => typeof f === "string" && f !== "");
  const listen = [listenAddress(config.metricsHostname, config.metricsPort)];
  if (config.healthProbePort !== undefined) {
    listen.push(listenAddress(config.healthProbeHostname, config.healthProbePort));
  }
  return {
    apiServer: hostPort(cluster.server),
    listen,
    read: [...kubeconfigFiles, ...files, ...(config.metricsCertDir ? [config.metricsCertDir] : [])],
    databases: config.replicationLagIntervalMs > 0 ? [ANY_POD_POSTGRES] : [],
  } satisfies PgopTarget;
}
