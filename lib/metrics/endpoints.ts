/**
 * pgop's HTTP servers as its configuration asks for them: `/metrics` plain
 * (with the probes beside it, for a local run and `curl`) or secure
 * (HTTPS, token reviewed), and the probes on their own plain port.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { KubeClient } from "../kube/types.ts";
import { serveHealth } from "./health_server.ts";
import { serveSecureMetrics } from "./secure_server.ts";
import type { TlsFiles } from "./self_signed.ts";
import { type HealthChecks, type HttpServer, type MetricsSource, serveHttp } from "./server.ts";

/** The servers {@link startEndpoints} started. */
export interface Endpoints {
  /** `/metrics` (plain: also `/healthz`, `/readyz`). */
  readonly metrics: HttpServer;
  /** The probes' own server, unless `--health-probe-address=0`. */
  readonly health: HttpServer | undefined;
  /** Resolves once every server has stopped after the signal aborted. */
  readonly finished: Promise<void>;
}

/** Options of {@link startEndpoints}. */
export interface EndpointsOptions {
  readonly config: Config;
  /** Asks the TokenReviews and SubjectAccessReviews of the secure server. */
  readonly client: KubeClient;
  readonly metrics: MetricsSource;
  readonly health: HealthChecks;
  /** The certificate of the secure server (metrics_certificate in secure_server.ts). */
  readonly tls?: TlsFiles;
  readonly signal: AbortSignal;
  readonly onError?: (error: unknown) => void;
}

/**
 * Starts the servers `config` asks for, until `signal` aborts.
 * @throws {RangeError} for `--metrics-secure` without `tls`
 */
export function startEndpoints(options: EndpointsOptions): Endpoints {
  const { config, signal, onError } = options;
  const hostname = config.metricsHostname;
  const port = config.metricsPort;
  let metrics: HttpServer;
  if (config.metricsSecure) {
    if (!options.tls) throw new RangeError("--metrics-secure needs a certificate");
    metrics = serveSecureMetrics({
      hostname,
      port,
      metrics: options.metrics,
      tls: options.tls,
      client: options.client,
      signal,
      onError,
    });
  } else {
    metrics = serveHttp({
      hostname,
      port,
      metrics: options.metrics,
      health: options.health,
      signal,
      onError,
    });
  }
  const health = config.healthProbePort === undefined ? undefined : serveHealth({
    hostname: config.healthProbeHostname,
    port: config.healthProbePort,
    health: options.health,
    signal,
    onError,
  });
  return {
    metrics,
    health,
    finished: Promise.all([metrics.finished, health?.finished]).then(() => {}),
  };
}
