/**
 * Reliability on the real control plane, part 1: the API server goes away.
 *
 * - A kube-apiserver restart in the middle of creating 30 Databases: pgop's
 *   watches resume (or relist), every Database becomes Ready, no child is
 *   lost or made twice, no password changes.
 * - etcd compacted past the resourceVersion pgop's watches would resume
 *   from: the resumed watches get 410 Gone, pgop relists, and every change
 *   made in the gap (a create, an update, a delete) is acted on, with no
 *   stale entry left in its cache.
 *
 * Recovery times are measured and printed (docs/reliability.md), never
 * asserted.
 */
import { compactEtcd } from "./support/cluster_extras.ts";
import assert from "node:assert/strict";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { Database } from "../lib/database/types.ts";
import { Resources } from "../lib/kube/resource.ts";
import { clientFor } from "./support/client.ts";
import { withCluster } from "./support/cluster.ts";
import {
  applyDatabases,
  CRD_PATH,
  databaseManifest,
  installCrd,
  startPgop,
} from "./support/pgop.ts";
import { startPgopProcess } from "./support/start_pgop_process.ts";
import { PasswordLedger } from "./support/passwords.ts";
import { parseExposition, type Scrape, valueOf } from "./support/prometheus_text.ts";
import {
  childProblems,
  isReady,
  listDatabases,
  PGOP_CHILDREN,
  secondsSince,
  sleep,
  waitAllReady,
  waitConverged,
} from "./support/reliability.ts";
import { settledProcess } from "./support/settled.ts";
import { waitUntil } from "./support/wait.ts";

/** The resource label of each of pgop's four caches. */
const CACHES = [
  "databases.database.example.com",
  "statefulsets.apps",
  "services",
  "secrets",
  "pods",
];

/** Objects pgop created so far (successful creates). */
function created(scrape: Scrape): number {
  return valueOf(scrape, "rest_client_requests_total", { method: "create", code: "201" }) ?? 0;
}

/** Per cache: full lists and resumed watches so far. */
function cacheCounters(scrape: Scrape): Map<string, { relists: number; restarts: number }> {
  return new Map(CACHES.map((resource) => [resource, {
    relists: valueOf(scrape, "pgop_cache_relists_total", { resource }) ?? 0,
    restarts: valueOf(scrape, "pgop_cache_watch_restarts_total", { resource }) ?? 0,
  }]));
}

Deno.test("reliability: a kube-apiserver restart while 30 Databases are created loses, duplicates and regenerates nothing", async (t) => {
  await withCluster({ manifests: [CRD_PATH] }, async (cluster) => {
    await installCrd(cluster);
    const client = await clientFor(cluster);
    // At 20 requests/s the 150 writes take about 7 s (at the default 50 with
    // bursts of 100 they take a fraction of a second), so the crash lands
    // in the middle of them.
    const pgop = await startPgop(cluster, ["--kube-api-qps=20", "--kube-api-burst=10"]);
    const ledger = new PasswordLedger();
    const stopLedger = ledger.start(client);
    try {
      await waitUntil("caches synced", () => pgop.operator.manager.synced);
      const names = Array.from({ length: 30 }, (_, i) => `restart-${i + 1}`);
      let counters = cacheCounters(parseExposition(await pgop.metrics.text()));
      let back = 0;

      await t.step(
        "the API server is killed for 3 s while children are being created",
        async () => {
          counters = cacheCounters(parseExposition(await pgop.metrics.text()));
          await applyDatabases(cluster, names.map((n) => databaseManifest(n)));
          // Watched in-process, so the kill lands with most of the 210 children still to make.
          const created = () => pgop.writes().filter((w) => w.verb === "create" && w.code === 201);
          await waitUntil("70 children created", () => created().length >= 70, { intervalMs: 1 });
          // SIGKILL: a crash, so requests in flight get no answer (SIGTERM would drain them).
          await cluster.stopComponent("kube-apiserver", "SIGKILL");
          const made = created().length;
          console.log(`restart: killed after ${made} of 210 children were created`);
          assert.ok(made < 210, "the restart hit the middle of the work");
          await sleep(3_000);
          await cluster.startComponent("kube-apiserver");
          back = performance.now();
        },
      );

      await t.step("every Database becomes Ready", async () => {
        const took = await waitConverged(client, names, { since: back, timeoutMs: 180_000 });
        console.log(
          `restart: API server back → children complete ${took.children} s, ` +
            `StatefulSets ready ${took.statefulSets} s, Databases Ready ${took.databases} s`,
        );
      });

      await t.step("each has exactly its 7 children, owned by it; nothing orphaned", async () => {
        assert.deepEqual(await childProblems(client), []);
      });

      await t.step("no password changed: each Secret written once, never rewritten", async () => {
        await stopLedger();
        // Two Secrets each: the credentials and the replication role's.
        assert.equal(ledger.passwords.size, 2 * names.length);
        assert.deepEqual(ledger.changes, []);
        // A password changes only by a write to its Secret: pgop created each
        // at most once (a create whose answer the crash swallowed is retried
        // and meets 409) and never applied, patched or updated one.
        const secretWrites = pgop.writes().filter((w) => w.resource === "secrets");
        const rewrites = secretWrites.filter((w) => w.verb !== "create");
        assert.deepEqual(rewrites, []);
        const created = secretWrites.filter((w) => w.code === 201).length;
        assert.ok(created <= 2 * names.length, `${created} Secrets created`);
        console.log(
          `restart: Secret writes ${
            JSON.stringify(secretWrites.reduce<Record<number, number>>((acc, w) => {
              acc[w.code] = (acc[w.code] ?? 0) + 1;
              return acc;
            }, {}))
          } (by HTTP code)`,
        );
      });

      await t.step("every cache resumed its watch or relisted", async () => {
        const after = cacheCounters(parseExposition(await pgop.metrics.text()));
        const summary: string[] = [];
        for (const resource of CACHES) {
          const a = after.get(resource);
          const b = counters.get(resource);
          assert.ok(a && b);
          const relists = a.relists - b.relists;
          const restarts = a.restarts - b.restarts;
          summary.push(`${resource}: ${restarts} resumed, ${relists} relisted`);
          assert.ok(relists + restarts >= 1, `${resource} reconnected: ${summary.at(-1)}`);
        }
        console.log(`restart: watches ${summary.join("; ")}`);
      });
    } finally {
      await stopLedger();
      await pgop.stop();
      client.close();
    }
  });
});

Deno.test("reliability: when etcd compacted pgop's resourceVersion away, it relists (410) and acts on every change of the gap", async (t) => {
  // Without the watch cache every watch reads etcd, so a resourceVersion
  // older than etcd's compaction is answered with 410 Gone.
  await withCluster({ manifests: [CRD_PATH], apiserverArgs: ["--watch-cache=false"] }, async (
    cluster,
  ) => {
    await installCrd(cluster);
    const client = await clientFor(cluster);
    const pgop = startPgopProcess(cluster, { identity: "gap", leaderElect: false });
    const ledger = new PasswordLedger();
    try {
      const keep = Array.from({ length: 8 }, (_, i) => `gap-keep-${i + 1}`);
      const names = [...keep, "gap-update", "gap-delete"];
      let counters = new Map<string, { relists: number; restarts: number }>();
      let resumed = 0;
      let from = 0;
      let creates = 0;

      await t.step("10 Databases are Ready", async () => {
        await pgop.ready();
        await applyDatabases(cluster, names.map((n) => databaseManifest(n)));
        await waitAllReady(client, { names, timeoutMs: 120_000 });
        await ledger.sample(client);
        const scrape = parseExposition(await pgop.metrics());
        counters = cacheCounters(scrape);
        creates = created(scrape);
      });

      await t.step(
        "pgop is frozen while the API server restarts, changes happen and etcd is compacted",
        async () => {
          // SIGSTOP: pgop's watches stall on their last resourceVersion and
          // nothing reaches it; the restart closes those connections without
          // a byte of the changes below in them.
          pgop.signal("SIGSTOP");
          await cluster.restartApiserver();
          await applyDatabases(cluster, [
            databaseManifest("gap-new"),
            databaseManifest("gap-update", { spec: { replicas: 2 } }),
          ]);
          await cluster.kubectl(["delete", "database", "gap-delete", "--wait=true"]);
          // Let the garbage collector remove its children, so the children's caches have a gap too.
          await waitUntil("gap-delete's children collected", async () => {
            const left = await cluster.kubectl([
              ...["get", "statefulsets,services,secrets", "-o", "name"],
              ...["-l", `${PGOP_CHILDREN},app.kubernetes.io/instance=gap-delete`],
            ]);
            return left.trim() === "";
          }, { timeoutMs: 90_000, intervalMs: 250 });
          const revision = await compactEtcd(cluster);
          console.log(`compaction: etcd compacted at revision ${revision}`);
          from = pgop.mark();
          resumed = performance.now();
          pgop.signal("SIGCONT");
        },
      );

      await t.step(
        "the created one gets children and Ready, the updated one 2 replicas",
        async () => {
          let written: number | undefined;
          await waitUntil("gap-new Ready and gap-update at 2 replicas", async () => {
            const [dbs, sets] = await Promise.all([
              listDatabases(client, "default"),
              client.list<StatefulSet>(Resources.statefulSets, {
                namespace: "default",
                labelSelector: PGOP_CHILDREN,
              }),
            ]);
            const sts = new Map(sets.items.map((s) => [s.metadata?.name, s]));
            // pgop's part: the StatefulSet, its last child, made; the other one scaled.
            if (
              written === undefined && sts.has("gap-new") &&
              sts.get("gap-update")?.spec?.replicas === 2
            ) written = secondsSince(resumed);
            const created = dbs.find((d) => d.metadata?.name === "gap-new");
            const updated = dbs.find((d) => d.metadata?.name === "gap-update");
            return written !== undefined && created !== undefined && isReady(created) &&
              updated !== undefined && isReady(updated, 2);
          }, { timeoutMs: 120_000, intervalMs: 100 });
          console.log(
            `compaction: SIGCONT → children written ${written} s, both Ready ${
              secondsSince(resumed)
            } s`,
          );
        },
      );

      await t.step("pgop's cache holds exactly what exists: no stale entry", async () => {
        const want = { databases: 10, statefulsets: 10, services: 40, secrets: 20 };
        let last: Record<string, number | undefined> = {};
        await waitUntil("pgop's cache counts", async () => {
          const scrape = parseExposition(await pgop.metrics());
          last = {
            databases: valueOf(scrape, "pgop_databases"),
            cachedDatabases: valueOf(scrape, "pgop_cache_objects", { resource: CACHES[0] }),
            statefulsets: valueOf(scrape, "pgop_cache_objects", { resource: CACHES[1] }),
            services: valueOf(scrape, "pgop_cache_objects", { resource: CACHES[2] }),
            secrets: valueOf(scrape, "pgop_cache_objects", { resource: CACHES[3] }),
          };
          return last.databases === want.databases && last.cachedDatabases === want.databases &&
            last.statefulsets === want.statefulsets && last.services === want.services &&
            last.secrets === want.secrets;
        }, { timeoutMs: 60_000 }).catch((error) => {
          throw new Error(`${error.message}; last ${JSON.stringify(last)}`);
        });
        console.log(`compaction: SIGCONT → cache exact in ${secondsSince(resumed)} s`);
        const dbs: Database[] = await listDatabases(client);
        assert.deepEqual(
          dbs.map((d) => d.metadata?.name).sort(),
          [...keep, "gap-new", "gap-update"].sort(),
        );
        await waitAllReady(client, { timeoutMs: 60_000 });
        assert.deepEqual(await childProblems(client), []);
      });

      await t.step(
        "pgop creates only gap-new's children, never the deleted Database's again",
        async () => {
          // A child of gap-delete deleted by the garbage collector can reach pgop
          // before the Database cache has relisted; pgop must then ask the API
          // server whether gap-delete still exists rather than re-create it.
          const made = () => pgop.metrics().then((t) => created(parseExposition(t)) - creates);
          await waitUntil("nothing of gap-delete left", async () => {
            const left = await cluster.kubectl([
              ...["get", "statefulsets,services,secrets,pods,persistentvolumeclaims"],
              ...["-o", "name", "-l", "app.kubernetes.io/instance=gap-delete"],
            ]);
            return left.trim() === "";
          }, { timeoutMs: 60_000, intervalMs: 250 });
          assert.equal(await made(), 7, "exactly the 7 children of gap-new");
          const version = await settledProcess(() => pgop.metrics(), cluster, "default/gap-new");
          assert.equal(
            await made(),
            7,
            `no create until the Database watch delivered ${version} and the queue was idle`,
          );
        },
      );

      await t.step("every cache relisted after 410 Gone", async () => {
        const after = cacheCounters(parseExposition(await pgop.metrics()));
        for (const resource of CACHES) {
          const relists = (after.get(resource)?.relists ?? 0) -
            (counters.get(resource)?.relists ?? 0);
          assert.ok(relists >= 1, `${resource} relisted (${relists})`);
        }
        const expired = pgop.grep(/resourceVersion expired; relisting/, from);
        const first = Math.min(...expired.map((l) => l.at));
        const delays = expired.map((l) => l.record?.delayMs);
        console.log(
          `compaction: SIGCONT → first 410 ${((first - resumed) / 1000).toFixed(2)} s; ` +
            `relists waited ${delays.join(", ")} ms (backoff: the last list was < 30 s before)`,
        );
        const relisted = new Set(expired.map((l) => String(l.record?.resource)));
        assert.deepEqual(
          [...relisted].sort(),
          [...CACHES].sort(),
          expired.map((l) => l.text).join("\n"),
        );
      });

      await t.step("the passwords of the Databases that stayed are unchanged", async () => {
        const before = ledger.passwords;
        await ledger.sample(client);
        assert.deepEqual(ledger.changes, []);
        for (const name of [...keep, "gap-update"]) {
          const key = `default/${name}-app`;
          assert.ok(before.has(key), key);
          assert.equal(ledger.passwords.get(key), before.get(key), key);
        }
      });
    } finally {
      await pgop.stop();
      client.close();
    }
  });
});
