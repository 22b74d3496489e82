/**
 * pgop's HTTP servers as its configuration asks for them, as runnables of the
 * manager: `/metrics` plain (with the probes beside it, for a local run and
 * `curl`) or secure (HTTPS, token reviewed: authn.ts), and the probes on a
 * plain port of their own (`--health-probe-address`, kubebuilder's `:8081`),
 * since the kubelet's probes carry no token.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { KubeClient } from "../kube/types.ts";
import { KubeMetricsAuthorizer } from "./authn.ts";
import { HttpRunnable } from "./http_runnable.ts";
import type { TlsFiles } from "./self_signed.ts";
import type { HealthChecks, MetricsSource } from "./server.ts";

/** The servers of {@link endpoints}. */
export interface Endpoints {
  /** `/metrics` (plain: also `/healthz` and `/readyz`). */
  readonly metrics: HttpRunnable;
  /** The probes' own server, unless `--health-probe-address=0`. */
  readonly health: HttpRunnable | undefined;
}

/** Options of {@link endpoints}. */
export interface EndpointsOptions {
  readonly config: Config;
  /** Asks the TokenReviews and SubjectAccessReviews of the secure server. */
  readonly client: KubeClient;
  readonly metrics: MetricsSource;
  readonly health: HealthChecks;
  /** The certificate of the secure server (`metricsCertificate()` in certificate.ts). */
  readonly tls?: TlsFiles;
}

/**
 * The servers `config` asks for (no I/O: each listens when the manager runs it).
 * @throws {RangeError} for `--metrics-secure` without `tls`
 */
export function endpoints(options: EndpointsOptions): Endpoints {
  const { config } = options;
  const address = { hostname: config.metricsHostname, port: config.metricsPort };
  let metrics: HttpRunnable;
  if (config.metricsSecure) {
    if (!options.tls) throw new RangeError("--metrics-secure needs a certificate");
    metrics = new HttpRunnable({
      ...address,
      name: "metrics over HTTPS (token reviewed)",
      metrics: options.metrics,
      paths: ["/metrics"],
      tls: options.tls,
      authorizer: new KubeMetricsAuthorizer(options.client),
    });
  } else {
    metrics = new HttpRunnable({ ...address, metrics: options.metrics, health: options.health });
  }
  const health = config.healthProbePort === undefined ? undefined : new HttpRunnable({
    hostname: config.healthProbeHostname,
    port: config.healthProbePort,
    name: "health probes",
    health: options.health,
    paths: ["/healthz", "/readyz"],
  });
  return { metrics, health };
}
