/**
 * pgop's configuration: command-line flags, each also settable through an
 * environment variable `PGOP_<FLAG>` (flag wins). Pure: the caller passes the
 * arguments and the environment, so tests are tables.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** Everything main.ts needs to wire pgop. */
export interface Config {
  /** Kubeconfig path; undefined: KUBECONFIG, ~/.kube/config, then in-cluster. */
  readonly kubeconfig?: string;
  readonly context?: string;
  /** Namespaces to watch; empty = all. */
  readonly namespaces: readonly string[];
  readonly workers: number;
  /** Client-side API rate limit (requests/s and burst). */
  readonly kubeApiQps: number;
  readonly kubeApiBurst: number;
  /** Overall work-queue rate (reconciles/s) and burst; per-key backoff always applies. */
  readonly queueQps: number;
  readonly queueBurst: number;
  /** The seed lab's "one reconcile per N ms" limiter; 0 = off (default). */
  readonly minReconcileIntervalMs: number;
  readonly debounceMs: number;
  readonly resyncMs: number;
  readonly syncTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** How long a primary must be not Ready on a not-Ready node before a fail-over (docs/failover.md). */
  readonly failoverDelayMs: number;
  readonly metricsHostname: string;
  readonly metricsPort: number;
  /** HTTPS with TokenReview and SubjectAccessReview on `/metrics` (lib/metrics/endpoints.ts). */
  readonly metricsSecure: boolean;
  /** Directory with `tls.crt` and `tls.key`; undefined: a self-signed certificate made at start. */
  readonly metricsCertDir?: string;
  /** The plain health-probe server (`/healthz`, `/readyz`); port undefined: none. */
  readonly healthProbeHostname: string;
  readonly healthProbePort?: number;
  readonly leaderElect: boolean;
  readonly leaderElectionNamespace: string;
  readonly leaderElectionId: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** Leader identity; default pod name (POD_NAME) or host name, plus a random suffix. */
  readonly identity?: string;
  /**
   * Time between two looks at a replicated Database's primary for its
   * standbys' lag (`lib/database/lag_observer.ts`); 0 = not observed.
   */
  readonly replicationLagIntervalMs: number;
  readonly logLevel: "debug" | "info" | "warning" | "error";
  readonly logFormat: "json" | "text" | "auto";
}

/** A flag or environment value that cannot be used. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Client-side QPS default. pgop reads from its cache, so nearly every request
 * is a write it has to make, and an idle pgop makes none; the limit is a guard
 * against a runaway loop, not the way to share the API server (its priority
 * and fairness and its 429s do that, and pgop honours them). Measured with
 * `deno task bench`: at 50/s, 1,000 new Databases (6,000 writes) took 2.8× as
 * long as the unthrottled floor; at 200/s pgop keeps up with what the API
 * server and etcd of a small control plane absorb.
 */
export const DEFAULT_KUBE_API_QPS = 200;
export const DEFAULT_KUBE_API_BURST = 400;

const options = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  namespaces: { type: "string", default: "" },
  workers: { type: "string", default: "8" },
  "kube-api-qps": { type: "string", default: String(DEFAULT_KUBE_API_QPS) },
  "kube-api-burst": { type: "string", default: String(DEFAULT_KUBE_API_BURST) },
  "queue-qps": { type: "string", default: "10" },
  "queue-burst": { type: "string", default: "100" },
  "min-reconcile-interval": { type: "string", default: "0" },
  debounce: { type: "string", default: "0" },
  "resync-period": { type: "string", default: "0" },
  "sync-timeout": { type: "string", default: "120s" },
  "shutdown-timeout": { type: "string", default: "10s" },
  "failover-delay": { type: "string", default: "30s" },
  "metrics-address": { type: "string", default: "0.0.0.0:8080" },
  "metrics-secure": { type: "boolean", default: false },
  "metrics-cert-dir": { type: "string" },
  "health-probe-address": { type: "string", default: ":8081" },
  "leader-elect": { type: "boolean", default: false },
  "leader-election-namespace": { type: "string" },
  "leader-election-id": { type: "string", default: "pgop-leader" },
  "lease-duration": { type: "string", default: "15s" },
  "renew-deadline": { type: "string", default: "10s" },
  "retry-period": { type: "string", default: "2s" },
  identity: { type: "string" },
  "replication-lag-interval": { type: "string", default: "30s" },
  "log-level": { type: "string", default: "info" },
  "log-format": { type: "string", default: "auto" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * Every environment variable {@link parseConfig} looks at: `PGOP_<FLAG>` for
 * each flag, and `POD_NAMESPACE`. main.ts reads these and no others, so
 * `--allow-env` can name them.
 */
export const CONFIG_ENV: readonly string[] = [
  ...Object.keys(options).filter((f) => f !== "help").map(envName),
  "POD_NAMESPACE",
];

function envName(flag: string): string {
  return `PGOP_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** One line per flag, for `--help`. */
export const USAGE =
  `Usage: pgop [flags]   (every flag can also be set as PGOP_<FLAG>, e.g. PGOP_WORKERS=16)
  --kubeconfig PATH            kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --context NAME               kubeconfig context
  --namespaces a,b             namespaces to watch, each with its own watches (default: all)
  --workers N                  concurrent reconciles (default 8)
  --kube-api-qps N, --kube-api-burst N   client-side API rate limit (default 200, 400)
  --queue-qps N, --queue-burst N         overall reconcile rate limit (default 10, 100)
  --min-reconcile-interval D   at most one reconcile per D across the controller (default 0: off)
  --debounce D                 coalesce event bursts per Database within D (default 0: off)
  --resync-period D            re-queue every Database every D (default 0: off)
  --sync-timeout D             time allowed for the first cache sync (default 120s)
  --shutdown-timeout D         time in-flight reconciles get on SIGTERM (default 10s)
  --failover-delay D           a primary not Ready for D on a not-Ready node is replaced (default 30s)
  --metrics-address HOST:PORT  metrics server (default 0.0.0.0:8080); plain, it also answers /healthz, /readyz
  --metrics-secure             metrics over HTTPS, only for a bearer token allowed "get" on /metrics
                               (TokenReview + SubjectAccessReview; deploy/ turns it on)
  --metrics-cert-dir DIR       tls.crt and tls.key for --metrics-secure (default: self-signed at start)
  --health-probe-address HOST:PORT   plain /healthz and /readyz for the kubelet (default :8081; 0: off)
  --leader-elect               run only while holding the Lease (for several replicas)
  --leader-election-namespace NS, --leader-election-id NAME   the Lease (default $POD_NAMESPACE, pgop-leader)
  --lease-duration D, --renew-deadline D, --retry-period D      (default 15s, 10s, 2s)
  --replication-lag-interval D  look at each replicated primary for its standbys' lag every D,
                               connecting to its pod IP on 5432 (default 30s; 0: off)
  --log-level debug|info|warning|error, --log-format json|text|auto
Durations: 500ms, 10s, 2m, or plain milliseconds.`;

/** Parses "500ms", "10s", "2m", "1h" or plain milliseconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) {
    throw new ConfigError(`--${what} must be a duration like 500ms, 10s or 2m, got "${text}"`);
  }
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "ms"] ?? 1;
  return Number(m[1]) * scale;
}

function parseNumber(text: string, what: string, min: number, integer = true): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new ConfigError(
      `--${what} must be ${integer ? "an integer" : "a number"} >= ${min}, got "${text}"`,
    );
  }
  return n;
}

/** Environment-variable fallbacks: PGOP_KUBE_API_QPS for --kube-api-qps, and so on. */
function fromEnv(env: Record<string, string | undefined>): string[] {
  const args: string[] = [];
  for (const [flag, spec] of Object.entries(options)) {
    const value = env[envName(flag)];
    if (value === undefined || flag === "help") continue;
    if (spec.type === "boolean") {
      if (/^(1|true|yes)$/i.test(value)) args.push(`--${flag}`);
    } else args.push(`--${flag}=${value}`);
  }
  return args;
}

/**
 * Reads flags (then `PGOP_*` variables). Returns "help" for `--help`.
 * @throws {ConfigError} for an unknown flag or an unusable value
 */
export function parseConfig(
  args: readonly string[],
  env: Record<string, string | undefined>,
): Config | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...fromEnv(env), ...args],
      options,
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return "help";
  const [hostname, port] = splitAddress(values["metrics-address"], "metrics-address");
  const health = values["health-probe-address"].trim();
  const [healthHostname, healthPort] = health === "0"
    ? ["", undefined]
    : splitAddress(health, "health-probe-address");
  const level = values["log-level"];
  if (!["debug", "info", "warning", "error"].includes(level)) {
    throw new ConfigError(`--log-level must be debug, info, warning or error, got "${level}"`);
  }
  const format = values["log-format"];
  if (!["json", "text", "auto"].includes(format)) {
    throw new ConfigError(`--log-format must be json, text or auto, got "${format}"`);
  }
  const config: Config = {
    kubeconfig: values.kubeconfig,
    context: values.context,
    namespaces: values.namespaces.split(",").map((s) => s.trim()).filter(Boolean),
    workers: parseNumber(values.workers, "workers", 1),
    kubeApiQps: parseNumber(values["kube-api-qps"], "kube-api-qps", 0, false),
    kubeApiBurst: parseNumber(values["kube-api-burst"], "kube-api-burst", 1),
    queueQps: parseNumber(values["queue-qps"], "queue-qps", 0, false),
    queueBurst: parseNumber(values["queue-burst"], "queue-burst", 1),
    minReconcileIntervalMs: parseDuration(
      values["min-reconcile-interval"],
      "min-reconcile-interval",
    ),
    debounceMs: parseDuration(values.debounce, "debounce"),
    resyncMs: parseDuration(values["resync-period"], "resync-period"),
    syncTimeoutMs: parseDuration(values["sync-timeout"], "sync-timeout"),
    shutdownTimeoutMs: parseDuration(values["shutdown-timeout"], "shutdown-timeout"),
    failoverDelayMs: parseDuration(values["failover-delay"], "failover-delay"),
    metricsHostname: hostname,
    metricsPort: port,
    metricsSecure: values["metrics-secure"],
    metricsCertDir: values["metrics-cert-dir"] || undefined,
    healthProbeHostname: healthHostname,
    healthProbePort: healthPort,
    leaderElect: values["leader-elect"],
    leaderElectionNamespace: values["leader-election-namespace"] ?? env.POD_NAMESPACE ?? "default",
    leaderElectionId: values["leader-election-id"],
    leaseDurationMs: parseDuration(values["lease-duration"], "lease-duration"),
    renewDeadlineMs: parseDuration(values["renew-deadline"], "renew-deadline"),
    retryPeriodMs: parseDuration(values["retry-period"], "retry-period"),
    identity: values.identity,
    replicationLagIntervalMs: parseDuration(
      values["replication-lag-interval"],
      "replication-lag-interval",
    ),
    logLevel: level as Config["logLevel"],
    logFormat: format as Config["logFormat"],
  };
  if (config.metricsCertDir && !config.metricsSecure) {
    throw new ConfigError("--metrics-cert-dir needs --metrics-secure");
  }
  if (
    config.leaderElect &&
    !(config.leaseDurationMs > config.renewDeadlineMs &&
      config.renewDeadlineMs > config.retryPeriodMs)
  ) {
    throw new ConfigError(
      "--lease-duration must exceed --renew-deadline, which must exceed --retry-period",
    );
  }
  return config;
}

function splitAddress(address: string, flag: string): [string, number] {
  const i = address.lastIndexOf(":");
  const host = i < 0 ? "0.0.0.0" : address.slice(0, i).replace(/^\[|\]$/g, "") || "0.0.0.0";
  const port = Number(i < 0 ? address : address.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`--${flag} must be HOST:PORT, got "${address}"`);
  }
  return [host, port];
}
