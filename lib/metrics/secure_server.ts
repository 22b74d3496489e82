/**
 * `--metrics-secure`: `/metrics` over HTTPS, answered only to a bearer token
 * that the API server authenticates and authorizes for `get /metrics`
 * (authn.ts). The certificate comes from `--metrics-cert-dir` (`tls.crt`,
 * `tls.key`, as a cert-manager Secret mounts them) or is made at start
 * (self_signed.ts). Health probes are not here: the kubelet sends no token,
 * so they have a plain server of their own (health_server.ts).
 *
 * @module
 */
import { join } from "node:path";
import type { KubeClient } from "../kube/types.ts";
import { KubeMetricsAuthorizer, type MetricsAuthorizer } from "./authn.ts";
import { selfSignedCertificate, type TlsFiles } from "./self_signed.ts";
import { type HttpServer, type MetricsSource, serveHttp } from "./server.ts";

/** The certificate and key of the secure endpoint could not be read. */
export class MetricsCertificateError extends Error {
  override readonly name = "MetricsCertificateError";
}

/**
 * `tls.crt` and `tls.key` from `certDir`, or a self-signed pair when it is
 * undefined. Read once: a rotated certificate is used from the next start.
 * @throws {MetricsCertificateError} naming the file that cannot be read
 */
export async function metricsCertificate(certDir: string | undefined): Promise<TlsFiles> {
  if (certDir === undefined) return await selfSignedCertificate();
  const read = async (name: string) => {
    const path = join(certDir, name);
    try {
      return await Deno.readTextFile(path);
    } catch (cause) {
      throw new MetricsCertificateError(
        `Cannot read "${path}" of --metrics-cert-dir: ${
          cause instanceof Error ? cause.message : cause
        }`,
        { cause },
      );
    }
  };
  return { cert: await read("tls.crt"), key: await read("tls.key") };
}

/** Options of {@link serveSecureMetrics}. */
export interface SecureMetricsOptions {
  readonly hostname: string;
  readonly port: number;
  readonly metrics: MetricsSource;
  readonly tls: TlsFiles;
  /** Asks the reviews; or pass `authorizer`. */
  readonly client?: KubeClient;
  readonly authorizer?: MetricsAuthorizer;
  readonly signal: AbortSignal;
  readonly onError?: (error: unknown) => void;
}

/**
 * Serves `/metrics` over HTTPS until `signal` aborts: 401 without a valid
 * bearer token, 403 for one whose user may not `get /metrics`, 500 when the
 * API server could not be asked, 404 for every other path.
 * @throws {RangeError} when neither `client` nor `authorizer` is given
 */
export function serveSecureMetrics(options: SecureMetricsOptions): HttpServer {
  const authorizer = options.authorizer ??
    (options.client ? new KubeMetricsAuthorizer(options.client) : undefined);
  if (!authorizer) throw new RangeError("serveSecureMetrics() needs a client or an authorizer");
  return serveHttp({
    hostname: options.hostname,
    port: options.port,
    metrics: options.metrics,
    health: { live: () => true, ready: () => true },
    paths: ["/metrics"],
    tls: options.tls,
    authorizer,
    signal: options.signal,
    onError: options.onError,
  });
}
