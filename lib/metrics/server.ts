/**
 * The operator's HTTP endpoints: `/metrics` (Prometheus), `/healthz`
 * (liveness) and `/readyz` (readiness), and nothing else; all three on one
 * plain server, or a subset (endpoints.ts: `/metrics` over HTTPS to authorized
 * scrapers only, and the probes on a port of their own).
 *
 * @module
 */
import type { MetricsAuthorizer } from "./authn.ts";
import type { TlsFiles } from "./self_signed.ts";

/** The paths a server can answer. */
export type EndpointPath = "/metrics" | "/healthz" | "/readyz";

/** A readiness answer: ready or not, with a reason shown on `/readyz`. */
export interface Readiness {
  readonly ok: boolean;
  readonly detail: string;
}

/** What the health endpoints ask. Both are called once per request and must not block. */
export interface HealthChecks {
  /** Liveness: false when the process should be restarted (e.g. event-loop lag over 5 s). */
  live(): boolean;
  /**
   * Readiness: true once the caches have synced. A standby replica (not the
   * leader) is ready too: readiness says "can serve", not "is leading".
   */
  ready(): boolean | Readiness;
}

/** The part of {@link PgopMetrics} the server needs. */
export interface MetricsSource {
  /** The exposition's `Content-Type`. */
  readonly contentType: string;
  /** The exposition text. */
  text(): Promise<string>;
}

/** Options of {@link serveHttp}. */
export interface ServeHttpOptions {
  /** Default "0.0.0.0" (the pod's every interface, for the kubelet and Prometheus). */
  readonly hostname?: string;
  /** Default 8080; 0 picks a free port (tests), see {@link HttpServer.port}. */
  readonly port?: number;
  /** The metrics; required when `paths` includes `/metrics`. */
  readonly metrics?: MetricsSource;
  /** The probes; required when `paths` includes `/healthz` or `/readyz`. */
  readonly health?: HealthChecks;
  /** The paths served; default all three. Others are 404. */
  readonly paths?: readonly EndpointPath[];
  /** HTTPS with this certificate; default plain HTTP. */
  readonly tls?: TlsFiles;
  /** Who may read `/metrics`; default anyone who can connect. */
  readonly authorizer?: MetricsAuthorizer;
  /** Stops the server (in-flight requests finish first). */
  readonly signal: AbortSignal;
  /** Called once listening, with the bound address; default: silent. */
  readonly onListen?: (addr: { hostname: string; port: number }) => void;
  /** Called when a request fails inside the server (a scrape that threw); default: silent. */
  readonly onError?: (error: unknown) => void;
}

/** A running {@link serveHttp} server. */
export interface HttpServer {
  readonly hostname: string;
  /** The bound port (the chosen one when asked for port 0). */
  readonly port: number;
  /** Resolves once the server has stopped after its signal aborted. */
  readonly finished: Promise<void>;
}

const TEXT = "text/plain; charset=utf-8";
const ALLOWED = "GET, HEAD";

/**
 * Serves `/metrics`, `/healthz` and `/readyz` until `signal` aborts.
 * `/healthz` answers 200 "ok" or 500; `/readyz` 200 "ok" or 503 with the
 * reason; `/metrics` the exposition, or 500 when collecting it failed. Any
 * other path is 404 and any method but GET and HEAD is 405: no listing, no
 * debug endpoints.
 * @throws {RangeError} on a port outside 0–65535
 */
export function serveHttp(options: ServeHttpOptions): HttpServer {
  const { hostname = "0.0.0.0", port = 8080, signal } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Port must be an integer in 0–65535, got ${port}`);
  }
  const inner = createHandler(options);
  // A scraper on a keep-alive connection would keep a stopping server serving
  // (graceful shutdown finishes requests, and each scrape is a new one): once
  // stopping, every answer closes its connection.
  const handler = async (request: Request): Promise<Response> => {
    const response = await inner(request);
    if (signal.aborted) response.headers.set("Connection", "close");
    return response;
  };
  const server = Deno.serve({
    hostname,
    port,
    signal,
    ...options.tls,
    onListen: (addr) => options.onListen?.({ hostname: addr.hostname, port: addr.port }),
  }, handler);
  return { hostname: server.addr.hostname, port: server.addr.port, finished: server.finished };
}

/**
 * The request handler of {@link serveHttp}, usable without a socket.
 * Never rejects: failures become 500 answers (and `onError`).
 */
export function createHandler(
  options: Pick<ServeHttpOptions, "metrics" | "health" | "onError" | "paths" | "authorizer">,
): (request: Request) => Promise<Response> {
  const { metrics, health, onError, authorizer } = options;
  const paths: readonly string[] = options.paths ?? ["/metrics", "/healthz", "/readyz"];
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (!paths.includes(pathname)) return answer(request, 404, "not found\n");
    if (request.method !== "GET" && request.method !== "HEAD") {
      return answer(request, 405, "method not allowed\n", { Allow: ALLOWED });
    }
    try {
      switch (pathname) {
        case "/metrics": {
          if (!metrics) return answer(request, 404, "not found\n");
          const refused = authorizer && await refusal(request, authorizer);
          if (refused) return refused;
          return answer(request, 200, await metrics.text(), {
            "Content-Type": metrics.contentType,
          });
        }
        case "/healthz":
          if (!health) return answer(request, 404, "not found\n");
          return health.live() ? answer(request, 200, "ok\n") : answer(request, 500, "not live\n");
        default: {
          if (!health) return answer(request, 404, "not found\n");
          const ready = readiness(health.ready());
          if (ready.ok) return answer(request, 200, "ok\n");
          return answer(
            request,
            503,
            ready.detail ? `not ready: ${ready.detail}\n` : "not ready\n",
          );
        }
      }
    } catch (error) {
      onError?.(error);
      return answer(request, 500, "internal error\n");
    }
  };
}

/** The 401 or 403 for a request `authorizer` refuses; undefined when it allows it. */
async function refusal(
  request: Request,
  authorizer: MetricsAuthorizer,
): Promise<Response | undefined> {
  const decision = await authorizer.check(request);
  if (decision.status === 401) {
    return answer(request, 401, "unauthorized\n", { "WWW-Authenticate": 'Bearer realm="pgop"' });
  }
  return decision.status === 403 ? answer(request, 403, "forbidden\n") : undefined;
}

function readiness(value: boolean | Readiness): Readiness {
  if (typeof value === "boolean") return { ok: value, detail: "" };
  return value;
}

function answer(
  request: Request,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(request.method === "HEAD" ? null : body, {
    status,
    headers: {
      "Content-Type": TEXT,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      ...headers,
    },
  });
}
