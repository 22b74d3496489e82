/**
 * Running pgop against a local control plane in tests: in-process (its
 * requests counted through the REST client's hook) or as a child process
 * (for signals), plus the CRD and Database helpers the end-to-end tests share.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { type Config, parseConfig } from "../../lib/config.ts";
import type { RequestInfo } from "../../lib/kube/http_transport.ts";
import type { RestClient } from "../../lib/kube/rest_client.ts";
import { PgopMetrics } from "../../lib/metrics/registry.ts";
import { metricsCertificate } from "../../lib/metrics/certificate.ts";
import type { TlsFiles } from "../../lib/metrics/self_signed.ts";
import { newOperator, type Operator } from "../../lib/operator.ts";
import type { Database } from "../../lib/database/types.ts";
import { configureLogging } from "../../lib/log.ts";
import { clientFor } from "./client.ts";
import { LAG_OBSERVER_OFF } from "./pgop_runtime.ts";
import type { LocalCluster } from "./cluster.ts";

/** Path of the CRD manifest. */
export const CRD_PATH = fileURLToPath(new URL("../../crds/database.yaml", import.meta.url));
/** Path of main.ts. */
export const MAIN_PATH = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** Installs the Database CRD and waits until it is served. */
export async function installCrd(cluster: LocalCluster): Promise<void> {
  await cluster.kubectl(["apply", "--server-side", "-f", CRD_PATH]);
  await cluster.kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=30s",
    "crd/databases.database.example.com",
  ]);
}

/** A Database manifest with the seed's spec. */
export function databaseManifest(
  name: string,
  options: { namespace?: string; spec?: Record<string, unknown> } = {},
): Database {
  return {
    apiVersion: "database.example.com/v1",
    kind: "Database",
    metadata: { name, namespace: options.namespace ?? "default" },
    spec: {
      image: "postgres:14",
      replicas: 1,
      databaseName: "db1",
      username: "admin",
      storage: { size: "10Gi" },
      environment: "production",
      ...options.spec,
    },
  } as Database;
}

/** `kubectl apply` of Databases. */
export async function applyDatabases(
  cluster: LocalCluster,
  dbs: readonly Database[],
): Promise<void> {
  await cluster.kubectl(["apply", "-f", "-"], {
    input: dbs.map((d) => stringify(d)).join("---\n"),
  });
}

const WRITE_VERBS = new Set(["create", "update", "patch", "apply", "delete"]);

/** pgop in this process, as tests see it. */
export interface RunningOperator extends Operator {
  /** The metrics server (plain: with the probes), bound when pgop started. */
  readonly server: { readonly port: number } | undefined;
  /** The probes' own server (`--health-probe-address`), bound when pgop started. */
  readonly healthServer: { readonly port: number } | undefined;
  /** Resolves when pgop has stopped (after `stop()`). */
  readonly finished: Promise<void>;
}

/** pgop running in this process. */
export interface InProcessPgop {
  readonly operator: RunningOperator;
  readonly metrics: PgopMetrics;
  readonly client: RestClient;
  /** The metrics server's certificate, with `--metrics-secure`. */
  readonly tls: TlsFiles | undefined;
  /** Every request pgop made (each attempt), in order. */
  readonly requests: RequestInfo[];
  /** Requests with a write verb since `from` (an index into `requests`). */
  writes(from?: number): RequestInfo[];
  /** Stops pgop and closes its client. */
  stop(): Promise<void>;
}

let logging: Promise<void> | undefined;

/** Starts pgop in-process with `args` (flags as on the command line) against `cluster`. */
export async function startPgop(
  cluster: LocalCluster,
  args: string[] = [],
  options: { kubeconfig?: string } = {},
): Promise<InProcessPgop> {
  // pgop's warnings and errors show in the test output (PGOP_TEST_LOG_LEVEL=debug for more).
  const level = (Deno.env.get("PGOP_TEST_LOG_LEVEL") ?? "warning") as Config["logLevel"];
  await (logging ??= configureLogging({ level, format: "text" }));
  const config = parseConfig([
    "--metrics-address=127.0.0.1:0",
    "--health-probe-address=0",
    LAG_OBSERVER_OFF,
    ...args,
  ], {}) as Config;
  const metrics = new PgopMetrics();
  const requests: RequestInfo[] = [];
  const client = await clientFor(cluster, {
    kubeconfig: options.kubeconfig,
    qps: config.kubeApiQps,
    burst: config.kubeApiBurst,
    onRequest: (info) => {
      requests.push(info);
      metrics.observeRequest(info);
    },
  });
  const stopper = new AbortController();
  const tls = config.metricsSecure ? await metricsCertificate(config.metricsCertDir) : undefined;
  const built = newOperator({ client, config, metrics, tls });
  // The manager binds its servers as it starts, before its first await.
  const finished = built.manager.run(stopper.signal);
  const operator: RunningOperator = {
    ...built,
    server: built.servers?.metrics.address,
    healthServer: built.servers?.health?.address,
    finished,
  };
  return {
    operator,
    metrics,
    client,
    tls,
    requests,
    writes: (from = 0) => requests.slice(from).filter((r) => WRITE_VERBS.has(r.verb)),
    stop: async () => {
      stopper.abort();
      try {
        await operator.finished;
      } finally {
        client.close();
      }
    },
  };
}
