/**
 * `--health-probe-address`: `/healthz` and `/readyz` on a plain port of their
 * own (kubebuilder's `:8081`), so that the kubelet's probes, which carry no
 * token, keep working when `/metrics` asks for one.
 *
 * @module
 */
import { type HealthChecks, type HttpServer, serveHttp } from "./server.ts";

/** Options of {@link serveHealth}. */
export interface HealthServerOptions {
  readonly hostname: string;
  readonly port: number;
  readonly health: HealthChecks;
  readonly signal: AbortSignal;
  readonly onError?: (error: unknown) => void;
}

/** Serves `/healthz` and `/readyz` (nothing else) until `signal` aborts. */
export function serveHealth(options: HealthServerOptions): HttpServer {
  return serveHttp({ ...options, paths: ["/healthz", "/readyz"] });
}
