/**
 * pgop: a Kubernetes operator for PostgreSQL.
 *
 *   deno task pgop [flags]   (tests/support/pgop_runtime.ts has the permissions, each scoped)
 *
 * Flags and environment → configuration → connection → client → a preflight
 * request → the operator, until SIGTERM/SIGINT. Errors a user can fix (flags,
 * kubeconfig, credentials, a missing CRD) end in one clear line and exit 1.
 *
 * @module
 */
import { CONFIG_ENV, ConfigError, parseConfig, USAGE } from "./lib/config.ts";
import { ApiError, KubeconfigError, TransportError } from "./lib/kube/errors.ts";
import { loadKubeconfig } from "./lib/kube/kubeconfig.ts";
import { Resources } from "./lib/kube/resource.ts";
import { RestClient } from "./lib/kube/rest_client.ts";
import { configureLogging, getLogger } from "./lib/log.ts";
import { PgopMetrics } from "./lib/metrics/registry.ts";
import { metricsCertificate, MetricsCertificateError } from "./lib/metrics/certificate.ts";
import { runOperator } from "./lib/operator.ts";

/** An error that ends pgop with its message alone (no stack). */
class FatalError extends Error {
  override readonly name = "FatalError";
}

/**
 * One request that tells apart "unreachable", "not allowed" and "CRD missing"
 * before anything starts. It lists where pgop will watch: with `--namespaces`,
 * in the first of them (a namespaced install may list nowhere else).
 */
async function preflight(
  client: RestClient,
  server: string,
  namespaces: readonly string[],
): Promise<void> {
  const namespace = namespaces[0];
  try {
    await client.list(Resources.databases, { limit: 1, namespace });
  } catch (error) {
    if (error instanceof TransportError) {
      throw new FatalError(
        `Cannot reach the API server at ${server}: ${
          error.cause instanceof Error ? error.cause.message : error.message
        }`,
      );
    }
    if (error instanceof ApiError && error.code === 401) {
      throw new FatalError(
        `The API server at ${server} rejected the credentials (401 Unauthorized): check or renew them`,
      );
    }
    if (error instanceof ApiError && error.code === 403) {
      throw new FatalError(
        `Not allowed to list databases.database.example.com${
          namespace ? ` in namespace "${namespace}"` : ""
        } (403): install deploy/ (kubectl apply -k deploy/cluster-wide or deploy/namespaced) or grant the role (${error.message})`,
      );
    }
    if (error instanceof ApiError && error.code === 404) {
      throw new FatalError(
        "The Database CRD is not installed: kubectl apply -f crds/database.yaml",
      );
    }
    throw error;
  }
}

async function main(): Promise<number> {
  // Only the variables pgop uses, so that --allow-env can name them.
  const env = Object.fromEntries(CONFIG_ENV.map((name) => [name, Deno.env.get(name)]));
  const parsed = parseConfig(Deno.args, env);
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  const config = parsed;
  await configureLogging({ level: config.logLevel, format: config.logFormat });
  const log = getLogger(["pgop"]);
  const connection = await loadKubeconfig({ path: config.kubeconfig, context: config.context });
  const metrics = new PgopMetrics();
  using client = new RestClient(connection, {
    qps: config.kubeApiQps,
    burst: config.kubeApiBurst,
    onRequest: (info) => metrics.observeRequest(info),
  });
  await preflight(client, connection.server, config.namespaces);

  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) {
      log.warn("Second signal: exiting now");
      Deno.exit(1);
    }
    log.info("Shutting down");
    stop.abort(new Error("signal"));
  };
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);
  log.info("pgop starting", {
    server: connection.server,
    context: connection.context,
    namespaces: config.namespaces.length ? config.namespaces : "all",
    workers: config.workers,
    leaderElect: config.leaderElect,
  });
  const tls = config.metricsSecure ? await metricsCertificate(config.metricsCertDir) : undefined;
  try {
    await runOperator({ client, config, metrics, tls, signal: stop.signal });
  } finally {
    Deno.removeSignalListener("SIGTERM", onSignal);
    Deno.removeSignalListener("SIGINT", onSignal);
  }
  log.info("pgop stopped");
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    const known = error instanceof FatalError || error instanceof ConfigError ||
      error instanceof KubeconfigError || error instanceof MetricsCertificateError ||
      error instanceof ApiError || error instanceof TransportError || error instanceof RangeError;
    const message = error instanceof Error ? error.message : String(error);
    console.error(
      known
        ? `pgop: ${message}`
        : `pgop: unexpected error: ${error instanceof Error && error.stack || message}`,
    );
    Deno.exit(1);
  }
}
