/**
 * pgop in the load tool's process, wired like main.ts (same flags, same
 * client rate limits), with every request counted through the REST client's
 * hook. CPU and memory of this process include the load tool's own work.
 *
 * @module
 */
import process from "node:process";
import { type Config, parseConfig } from "../../lib/config.ts";
import { loadKubeconfig } from "../../lib/kube/kubeconfig.ts";
import { RestClient } from "../../lib/kube/rest_client.ts";
import { configureLogging } from "../../lib/log.ts";
import { PgopMetrics } from "../../lib/metrics/registry.ts";
import { newOperator } from "../../lib/operator.ts";
import { LAG_OBSERVER_OFF } from "../../tests/support/pgop_runtime.ts";
import { parsePromText } from "../../tests/support/prometheus_text.ts";
import { RequestCounter } from "./request_counts.ts";
import {
  keepPgopMetric,
  sampleFromPgopMetrics,
  type Shutdown,
  statsFromPgopMetrics,
  type SystemUnderTest,
  timedStop,
} from "./sut.ts";

let logging: Promise<void> | undefined;

/** Starts pgop in this process against the cluster of `kubeconfig`, with pgop flags `args`. */
export async function startInProcessPgop(
  kubeconfig: string,
  args: readonly string[],
): Promise<SystemUnderTest> {
  await (logging ??= configureLogging({ level: "warning", format: "text" }));
  const parsed = parseConfig(
    ["--metrics-address=127.0.0.1:0", "--health-probe-address=0", LAG_OBSERVER_OFF, ...args],
    {},
  );
  if (parsed === "help") throw new RangeError("--pgop-args must not ask for help");
  const config: Config = parsed;
  const metrics = new PgopMetrics();
  const counter = new RequestCounter();
  const client = new RestClient(await loadKubeconfig({ path: kubeconfig }), {
    qps: config.kubeApiQps,
    burst: config.kubeApiBurst,
    onRequest: (info) => {
      counter.record(info.verb, info.resource);
      metrics.observeRequest(info);
    },
  });
  const stopper = new AbortController();
  const operator = newOperator({ client, config, metrics, serve: false });
  const finished = operator.manager.run(stopper.signal);
  let stopped: Promise<void> | undefined;
  let shutdown: Shutdown | undefined;
  const scrape = async () => parsePromText(await metrics.text(), keepPgopMetric);
  return {
    kind: "pgop",
    label: "pgop (in-process)",
    resourceNote:
      "in-process: CPU and RSS are the whole load-tool process (pgop + tracker + creator); use --pgop child for pgop's own",
    waitSynced: async (timeoutMs) => {
      const deadline = performance.now() + timeoutMs;
      while (!operator.manager.synced) {
        if (performance.now() > deadline) throw new Error("pgop's caches did not sync in time");
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    requests: () => Promise.resolve(counter.snapshot()),
    sample: async () => ({
      ...sampleFromPgopMetrics(await scrape()),
      requests: counter.total,
      rssBytes: Deno.memoryUsage().rss,
    }),
    stats: async () => {
      const cpu = process.cpuUsage();
      return {
        ...statsFromPgopMetrics(await scrape()),
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        rssBytes: Deno.memoryUsage().rss,
        heapUsedBytes: Deno.memoryUsage().heapUsed,
      };
    },
    stop: () =>
      stopped ??= (async () => {
        stopper.abort();
        try {
          shutdown = await timedStop(() => finished);
        } finally {
          client.close();
        }
      })(),
    shutdown: () => shutdown,
  };
}
