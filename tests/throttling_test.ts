/**
 * 429 Too Many Requests from a real kube-apiserver, and how pgop's REST
 * client copes: typed error with Retry-After, retries that wait as asked,
 * and every request done in the end.
 *
 * The server runs the classic max-in-flight filter (priority and fairness
 * off) with one read and one write in flight at a time; anything more is
 * answered at once with 429 and `Retry-After: 1`. That filter never rejects
 * members of system:masters (the admin kubeconfig), so the requests come
 * from an ordinary user with a Role.
 */
import { userKubeconfig } from "./support/cluster_extras.ts";
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { isTooManyRequests } from "../lib/kube/errors.ts";
import type { RequestInfo } from "../lib/kube/rest_client.ts";
import { clientFor } from "./support/client.ts";
import { withCluster } from "./support/cluster.ts";
import { type ConfigMap, ConfigMaps } from "./support/test_resources.ts";

const NAMESPACE = "throttled";
const USER = "throttled-user";

/**
 * A timer may fire a little early relative to `performance.now()`; a client
 * that ignored `Retry-After: 1` would come back after 100–200 ms (its first
 * backoff step), far below this.
 */
const RETRY_AFTER_FLOOR_MS = 950;

/** Runs `count` tasks with at most `concurrency` at a time; settles like `Promise.allSettled`. */
async function pool<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await task(i) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

Deno.test("RestClient against an API server that sheds load: 429 and Retry-After", async (t) => {
  await withCluster({
    workloads: false,
    apiserverArgs: [
      "--enable-priority-and-fairness=false",
      "--max-requests-inflight=1",
      "--max-mutating-requests-inflight=1",
    ],
  }, async (cluster) => {
    await cluster.kubectl(["create", "namespace", NAMESPACE]);
    await cluster.kubectl([
      ...["create", "role", "configmaps", "-n", NAMESPACE, "--resource=configmaps"],
      "--verb=get,list,watch,create,update,patch,delete",
    ]);
    await cluster.kubectl([
      ...["create", "rolebinding", "configmaps", "-n", NAMESPACE],
      ...["--role=configmaps", `--user=${USER}`],
    ]);
    const kubeconfig = await userKubeconfig(cluster, USER);
    await cluster.kubectl(["create", "configmap", "target", "-n", NAMESPACE]);

    await t.step(
      "without retries, a shed request fails as a 429 ApiError carrying Retry-After",
      async () => {
        const client = await clientFor(cluster, { kubeconfig, maxRetries: 0 });
        try {
          let shed: unknown[] = [];
          // One burst nearly always collides; a few more make it certain.
          for (let burst = 0; burst < 10 && shed.length === 0; burst++) {
            const results = await pool(
              30,
              30,
              () => client.get(ConfigMaps, "target", { namespace: NAMESPACE }),
            );
            const failures = results.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
            for (const error of failures) assert.ok(isTooManyRequests(error), String(error));
            shed = failures;
          }
          assert.ok(shed.length > 0, "the server shed some of 30 concurrent requests");
          for (const error of shed) {
            assert.ok(isTooManyRequests(error));
            assert.equal(error.reason, "TooManyRequests");
            assert.equal(error.retryAfterSeconds, 1);
          }
        } finally {
          client.close();
        }
      },
    );

    await t.step(
      "with retries, every request succeeds and each retry waits Retry-After",
      async () => {
        // The hook has no request id; the async context of each task tells them apart.
        const task = new AsyncLocalStorage<number>();
        const attempts = new Map<number, (RequestInfo & { readonly endedAt: number })[]>();
        const client = await clientFor(cluster, {
          kubeconfig,
          qps: 0,
          maxRetries: 30,
          onRequest: (info) => {
            const id = task.getStore();
            if (id === undefined) return;
            attempts.set(id, [...attempts.get(id) ?? [], { ...info, endedAt: performance.now() }]);
          },
        });
        // Half reads, half writes (one merge patch per task, each adding its own key).
        const request = (i: number) =>
          i % 2 === 0
            ? client.get<ConfigMap>(ConfigMaps, "target", { namespace: NAMESPACE })
            : client.patch<ConfigMap>(ConfigMaps, "target", { data: { [`k${i}`]: "v" } }, {
              type: "merge",
              namespace: NAMESPACE,
            });
        // The first burst's losers retry together exactly 1 s later (Retry-After has
        // no jitter) and each such wave lets about one read and one write through,
        // so the run lasts about `concurrency` seconds: keep it small.
        const total = 100;
        const concurrency = 10;
        try {
          const results = await pool(total, concurrency, (i) => task.run(i, () => request(i)));
          const failed = results.filter((r) => r.status === "rejected");
          assert.deepEqual(failed, [], "every request eventually succeeded");
        } finally {
          client.close();
        }
        const final = await clientFor(cluster, { kubeconfig, maxRetries: 30 });
        try {
          const target = await final.get<ConfigMap>(ConfigMaps, "target", { namespace: NAMESPACE });
          assert.equal(Object.keys(target.data ?? {}).length, total / 2, "every patch landed once");
        } finally {
          final.close();
        }
        assert.equal(attempts.size, total);
        let shed = 0;
        for (const [id, tries] of attempts) {
          const codes = tries.map((a) => a.code);
          assert.equal(codes.at(-1), 200, `task ${id}: ${codes}`);
          assert.ok(codes.slice(0, -1).every((c) => c === 429), `task ${id}: ${codes}`);
          shed += codes.length - 1;
          for (let n = 1; n < tries.length; n++) {
            const startedAt = tries[n].endedAt - tries[n].durationMs;
            const waited = startedAt - tries[n - 1].endedAt;
            assert.ok(waited >= RETRY_AFTER_FLOOR_MS, `task ${id} retried after ${waited} ms`);
          }
        }
        assert.ok(shed > 0, "the server shed some requests");
      },
    );
  });
});
