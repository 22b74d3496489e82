/**
 * pgop assembled: a manager with leader election, the Database controller,
 * and the metrics and health server. main.ts parses flags and calls
 * {@link runOperator}; tests and the load tool build it with {@link newOperator}.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { InformerLike } from "./cache/multi_namespace_informer.ts";
import type { Config } from "./config.ts";
import { Manager } from "./controller/manager.ts";
import { databaseController, type DatabaseInformers } from "./database/controller.ts";
import type { Database } from "./database/types.ts";
import type { KubeClient } from "./kube/types.ts";
import { FencedClient } from "./leader/fenced_client.ts";
import { defaultIdentity } from "./leader/identity.ts";
import { LeaderElector } from "./leader/leader_elector.ts";
import { type Endpoints, endpoints } from "./metrics/endpoints.ts";
import type { PgopMetrics } from "./metrics/registry.ts";
import type { TlsFiles } from "./metrics/self_signed.ts";

const log = getLogger(["pgop", "operator"]);

/** Options of {@link newOperator} and {@link runOperator}. */
export interface OperatorOptions {
  readonly client: KubeClient;
  readonly config: Config;
  readonly metrics: PgopMetrics;
  /** Serve metrics and health (default true; the in-process load test scrapes directly). */
  readonly serve?: boolean;
  /** The certificate of `--metrics-secure` (lib/metrics/certificate.ts). */
  readonly tls?: TlsFiles;
}

/** A built pgop, not yet running. */
export interface Operator {
  /** Runs everything below until its signal aborts. */
  readonly manager: Manager;
  /** The Database cache. */
  readonly databases: InformerLike<Database>;
  /** Every cache of the Database controller. */
  readonly caches: DatabaseInformers;
  /** The HTTP servers (metrics, and the probes' own), none when not serving. */
  readonly servers: Endpoints | undefined;
}

/** The leader elector of pgop's Lease, built once: the manager campaigns with it. */
function leaderElector(client: KubeClient, config: Config, metrics: PgopMetrics): LeaderElector {
  return new LeaderElector({
    client,
    namespace: config.leaderElectionNamespace,
    name: config.leaderElectionId,
    identity: config.identity ?? defaultIdentity(),
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
    onNewLeader: (identity) => log.info("Leader is {identity}", { identity }),
    metrics: {
      leaderOn: (name) => metrics.setLeader(name, true),
      leaderOff: (name) => metrics.setLeader(name, false),
    },
  });
}

/** Builds pgop (no I/O): a manager holding every part. */
export function newOperator(options: OperatorOptions): Operator {
  const { client, config, metrics } = options;
  const elector = config.leaderElect ? leaderElector(client, config, metrics) : undefined;
  if (!elector) metrics.setLeader(config.leaderElectionId, true);
  const mgr = new Manager({
    client,
    namespaces: config.namespaces,
    metrics,
    election: elector,
    syncTimeoutMs: config.syncTimeoutMs,
    drainMs: config.shutdownTimeoutMs,
  });
  // With leader election every write is fenced: a replica that cannot be sure it
  // still holds the Lease (it lost it, or was paused past its renew deadline) sends nothing.
  const writer = elector ? new FencedClient(client, () => elector.holdsLease()) : client;
  const caches = databaseController(mgr, { writer, config, metrics });

  mgr.add({ run: (signal) => Promise.resolve(metrics.startRuntimeProbes(signal)) });
  const servers = options.serve === false ? undefined : endpoints({
    config,
    client,
    metrics,
    tls: options.tls,
    health: {
      live: () => metrics.eventLoopLagSeconds() < 5,
      ready: () =>
        mgr.synced
          ? { ok: true, detail: "caches synced" }
          : { ok: false, detail: "waiting for the caches to sync" },
    },
  });
  if (servers) mgr.add(servers.metrics);
  if (servers?.health) mgr.add(servers.health);
  return { manager: mgr, databases: caches.databases, caches, servers };
}

/** Runs pgop until `signal` aborts. */
export function runOperator(options: OperatorOptions & { signal: AbortSignal }): Promise<void> {
  return newOperator(options).manager.run(options.signal);
}
