/**
 * The floor writer (see `floor.ts`) as a system under test: its own REST
 * client without a client-side rate limit, its requests counted through the
 * client's hook.
 *
 * @module
 */
import { loadKubeconfig } from "../../lib/kube/kubeconfig.ts";
import { RestClient } from "../../lib/kube/rest_client.ts";
import { FloorWriter } from "./floor.ts";
import { RequestCounter } from "./request_counts.ts";
import { type Shutdown, type SystemUnderTest, timedStop } from "./sut.ts";

/** Starts the floor writer with `workers` against the cluster of `kubeconfig`. */
export async function startFloor(kubeconfig: string, workers: number): Promise<SystemUnderTest> {
  const counter = new RequestCounter();
  const client = new RestClient(await loadKubeconfig({ path: kubeconfig }), {
    qps: 0,
    userAgent: "pgop-loadtest-floor",
    onRequest: (info) => counter.record(info.verb, info.resource),
  });
  const floor = new FloorWriter({ client, workers });
  const stopper = new AbortController();
  const running = floor.run(stopper.signal);
  let failure: unknown;
  running.catch((error) => (failure = error));
  let stopped: Promise<void> | undefined;
  let shutdown: Shutdown | undefined;
  return {
    kind: "floor",
    label: `floor (${workers} workers, no client rate limit)`,
    resourceNote: "floor runs in the load tool's process: no separate CPU or memory figures",
    waitSynced: async (timeoutMs) => {
      const deadline = performance.now() + timeoutMs;
      while (!floor.synced) {
        if (failure) throw failure;
        if (performance.now() > deadline) throw new Error("The floor writer did not sync in time");
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    requests: () => Promise.resolve(counter.snapshot()),
    sample: () => Promise.resolve({ queueDepth: floor.queueDepth, requests: counter.total }),
    stats: () =>
      Promise.resolve({
        reconciles: { success: floor.tasks - floor.errors, error: floor.errors },
      }),
    stop: () =>
      stopped ??= (async () => {
        stopper.abort();
        try {
          // A failure was reported through waitSynced or the run's timeout.
          shutdown = await timedStop(() => running.catch(() => {}));
        } finally {
          client.close();
        }
      })(),
    shutdown: () => shutdown,
  };
}
