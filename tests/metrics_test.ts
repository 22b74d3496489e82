/**
 * pgop's HTTP endpoint on the real control plane: `/readyz` follows the cache
 * sync, `/healthz` answers, unknown paths are 404, and a scrape after a few
 * reconciles holds every metric a dashboard or alert relies on, with values
 * that match what happened.
 */
import assert from "node:assert/strict";
import { type Database, PHASES } from "../lib/database/types.ts";
import { RECONCILE_BUCKETS, RECONCILE_RESULTS } from "../lib/metrics/names.ts";
import { type LocalCluster, withCluster } from "./support/cluster.ts";
import {
  applyDatabases,
  databaseManifest,
  type InProcessPgop,
  installCrd,
  startPgop,
} from "./support/pgop.ts";
import { parseExposition, samplesOf, type Scrape, valueOf } from "./support/prometheus_text.ts";
import { waitUntil } from "./support/wait.ts";

const DATABASES = ["metrics-db-1", "metrics-db-2", "metrics-db-3"];
const CACHED = [
  "databases.database.example.com",
  "statefulsets.apps",
  "services",
  "secrets",
];

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

async function scrape(port: number): Promise<Scrape> {
  const { status, body } = await get(port, "/metrics");
  assert.equal(status, 200);
  return parseExposition(body);
}

async function readyDatabases(cluster: LocalCluster): Promise<number> {
  const list = JSON.parse(await cluster.kubectl(["get", "databases", "-A", "-o", "json"]));
  return (list.items as Database[]).filter((db) => db.status?.phase === "Ready").length;
}

/** Asserts that a sample exists and returns its value (summed over matching series). */
function present(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const value = valueOf(s, name, labels);
  assert.notEqual(
    value,
    undefined,
    `${name}${JSON.stringify(labels)} is missing; present: ${JSON.stringify(samplesOf(s, name))}`,
  );
  return value ?? NaN;
}

Deno.test("metrics server: readiness follows the cache sync, and a scrape shows every metric", async (t) => {
  await withCluster({}, async (cluster) => {
    // Started before the CRD exists: the Database cache cannot sync until it is installed.
    const pgop: InProcessPgop = await startPgop(cluster);
    try {
      const port = pgop.operator.server?.port;
      assert.ok(port, "pgop serves HTTP");

      await t.step("/readyz is 503 while the Database cache cannot sync", async () => {
        const ready = await get(port, "/readyz");
        assert.equal(ready.status, 503);
        assert.match(ready.body, /not ready: waiting for the caches to sync/);
        assert.equal(pgop.operator.manager.synced, false);
      });

      await t.step("/healthz is 200 even before the sync", async () => {
        assert.deepEqual(await get(port, "/healthz"), { status: 200, body: "ok\n" });
      });

      await t.step("/readyz turns 200 once the CRD is installed and the caches sync", async () => {
        await installCrd(cluster);
        await waitUntil("/readyz 200", async () => (await get(port, "/readyz")).status === 200);
        assert.equal((await get(port, "/readyz")).body, "ok\n");
      });

      await t.step("unknown paths are 404, other methods 405", async () => {
        for (const path of ["/", "/nope", "/metrics/extra", "/debug/pprof", "/healthz/"]) {
          assert.equal((await get(port, path)).status, 404, path);
        }
        const post = await fetch(`http://127.0.0.1:${port}/metrics`, { method: "POST" });
        await post.body?.cancel();
        assert.equal(post.status, 405);
      });

      const before = await scrape(port);
      await applyDatabases(cluster, DATABASES.map((name) => databaseManifest(name)));
      await waitUntil("every Database Ready", async () => {
        return await readyDatabases(cluster) === DATABASES.length;
      }, { timeoutMs: 90_000 });
      // pgop's cache sees the Ready status a moment after kubectl does.
      await waitUntil("pgop_databases{phase=Ready} catches up", async () => {
        return valueOf(await scrape(port), "pgop_databases", { phase: "Ready" }) ===
          DATABASES.length;
      });
      const after = await scrape(port);

      await t.step("database_reconcile_duration_seconds: the 12 buckets, all 5 results", () => {
        assert.equal(after.types.get("database_reconcile_duration_seconds"), "histogram");
        for (const result of RECONCILE_RESULTS) {
          const buckets = samplesOf(after, "database_reconcile_duration_seconds_bucket", {
            result,
          }).map((s) => s.labels.le);
          assert.deepEqual(
            buckets,
            [".001", ".005", ".01", ".025", ".05", ".1", ".25", ".5", "1", "2.5", "5", "10"]
              .map((b) => String(Number(b))).concat("+Inf"),
            `buckets of result="${result}"`,
          );
          assert.deepEqual(buckets.slice(0, -1).map(Number), RECONCILE_BUCKETS);
          present(after, "database_reconcile_duration_seconds_sum", { result });
          present(after, "database_reconcile_duration_seconds_count", { result });
        }
        const results = new Set(
          samplesOf(after, "database_reconcile_total").map((s) => s.labels.result),
        );
        assert.deepEqual([...results].sort(), [...RECONCILE_RESULTS].sort());
      });

      await t.step("database_reconcile_total{result=success} grew; the histogram agrees", () => {
        const was = valueOf(before, "database_reconcile_total", { result: "success" }) ?? 0;
        const now = present(after, "database_reconcile_total", { result: "success" });
        assert.ok(now >= was + DATABASES.length, `success went from ${was} to ${now}`);
        assert.equal(
          present(after, "database_reconcile_duration_seconds_count", { result: "success" }),
          now,
        );
        const inf = samplesOf(after, "database_reconcile_duration_seconds_bucket", {
          result: "success",
          le: "+Inf",
        });
        assert.equal(inf[0]?.value, now);
        present(after, "database_reconcile_queue_depth");
      });

      await t.step("work-queue metrics of the database queue", () => {
        const queue = { name: "database" };
        const addsBefore = valueOf(before, "workqueue_adds_total", queue) ?? 0;
        const adds = present(after, "workqueue_adds_total", queue);
        assert.ok(adds >= addsBefore + DATABASES.length, `adds went from ${addsBefore} to ${adds}`);
        assert.ok(present(after, "workqueue_depth", queue) >= 0);
        for (
          const histogram of ["workqueue_queue_duration_seconds", "workqueue_work_duration_seconds"]
        ) {
          assert.equal(after.types.get(histogram), "histogram");
          assert.ok(present(after, `${histogram}_count`, queue) >= DATABASES.length, histogram);
        }
        present(after, "workqueue_unfinished_work_seconds", queue);
        present(after, "workqueue_longest_running_processor_seconds", queue);
        present(after, "workqueue_retries_total", queue);
      });

      await t.step("rest_client_requests_total counts create, apply, list and watch", () => {
        const byVerb = (method: string) =>
          valueOf(after, "rest_client_requests_total", { method }) ?? 0;
        // One Secret, two Services and one StatefulSet created per Database.
        assert.ok(byVerb("create") >= 4 * DATABASES.length, `create: ${byVerb("create")}`);
        // Status is written with server-side apply.
        assert.ok(byVerb("apply") >= DATABASES.length, `apply: ${byVerb("apply")}`);
        assert.ok(byVerb("watch") >= CACHED.length, `watch: ${byVerb("watch")}`);
        // At least the Database cache lists (page by page, after the CRD's 404s).
        assert.ok(byVerb("list") >= 1, `list: ${byVerb("list")}`);
        const created = samplesOf(after, "rest_client_requests_total", {
          method: "create",
          resource: "statefulsets.apps",
        });
        assert.deepEqual(created.map((s) => s.labels.code), ["201"]);
        assert.equal(created[0]?.value, DATABASES.length);
        // The CRD was missing at first: the Database list got 404s, counted too.
        assert.ok(
          samplesOf(after, "rest_client_requests_total", {
            resource: "databases.database.example.com",
            code: "404",
          }).length > 0,
        );
        present(after, "rest_client_request_duration_seconds_count", { verb: "create" });
        present(after, "rest_client_rate_limiter_duration_seconds_count", { verb: "create" });
      });

      await t.step("watch-cache metrics for each cached resource", () => {
        const now = Date.now() / 1000;
        for (const resource of CACHED) {
          present(after, "pgop_cache_objects", { resource });
          assert.ok(present(after, "pgop_cache_relists_total", { resource }) >= 1, resource);
          present(after, "pgop_cache_watch_restarts_total", { resource });
          if (resource !== "databases.database.example.com") {
            const synced = present(after, "pgop_cache_last_sync_timestamp_seconds", { resource });
            assert.ok(synced > now - 600 && synced <= now + 1, `${resource} synced at ${synced}`);
          }
          assert.ok(
            present(after, "pgop_cache_events_total", { resource, type: "ADDED" }) >= 1,
            resource,
          );
        }
      });

      await t.step({
        name: "pgop_cache_objects and the last-sync time are exact for every cache",
        fn: () => {
          present(after, "pgop_cache_last_sync_timestamp_seconds", {
            resource: "databases.database.example.com",
          });
          const objects = (resource: string) => present(after, "pgop_cache_objects", { resource });
          assert.equal(objects("databases.database.example.com"), DATABASES.length);
          assert.equal(objects("statefulsets.apps"), DATABASES.length);
          // Credentials and replication Secrets; headless, client, -rw and -ro Services.
          assert.equal(objects("secrets"), 2 * DATABASES.length);
          assert.equal(objects("services"), 4 * DATABASES.length);
        },
      });

      await t.step("leader_election_master_status is 1 (no election: always leading)", () => {
        assert.equal(present(after, "leader_election_master_status", { name: "pgop-leader" }), 1);
      });

      await t.step("pgop_databases{phase} matches the Databases' status", async () => {
        assert.equal(
          present(after, "pgop_databases", { phase: "Ready" }),
          await readyDatabases(cluster),
        );
        assert.equal(present(after, "pgop_databases"), DATABASES.length);
        for (const phase of PHASES.filter((p) => p !== "Ready")) {
          assert.equal(present(after, "pgop_databases", { phase }), 0, phase);
        }
      });

      await t.step("process metrics are real numbers, not prom-client's zeros", () => {
        for (
          const name of [
            "process_resident_memory_bytes",
            "process_cpu_seconds_total",
            "process_start_time_seconds",
            "pgop_heap_used_bytes",
            "pgop_heap_total_bytes",
          ]
        ) {
          assert.ok(present(after, name) > 0, name);
        }
        present(after, "pgop_event_loop_lag_seconds");
        const started = present(after, "process_start_time_seconds");
        assert.ok(started <= Date.now() / 1000 && started > Date.now() / 1000 - 3600);
      });
    } finally {
      await pgop.stop();
    }
  });
});
