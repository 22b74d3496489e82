/**
 * Reliability on the real control plane, part 2: pgop itself is hurt.
 *
 * - SIGKILL at random moments, again and again, while Databases are being
 *   created: whatever the next pgop finds, it finishes; no orphan, no
 *   duplicate, no password ever changes.
 * - An API server that sheds load with 429 (max-in-flight limits) while pgop
 *   runs as its least-privilege ServiceAccount (deploy/cluster-wide) at debug
 *   logging: pgop waits as told (Retry-After), converges, shows the
 *   throttling in its metrics, is never refused (401/403), and no generated
 *   password appears in its logs, Events, Database status or metrics; its
 *   HTTP server answers nothing but /metrics, /healthz and /readyz.
 *
 * Recovery times are measured and printed (docs/reliability.md), never
 * asserted.
 */
import assert from "node:assert/strict";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import { Resources } from "../lib/kube/resource.ts";
import type { Database } from "../lib/database/types.ts";
import { AuditLog, retryGapsAfter429 } from "./support/audit.ts";
import { clientFor } from "./support/client.ts";
import { withCluster } from "./support/cluster.ts";
import { applyDatabases, CRD_PATH, databaseManifest, installCrd } from "./support/pgop.ts";
import { type PgopProcess } from "./support/pgop_process.ts";
import { startPgopProcess } from "./support/start_pgop_process.ts";
import { leakedIn, PasswordLedger, passwordOf } from "./support/passwords.ts";
import { parseExposition, samplesOf, valueOf } from "./support/prometheus_text.ts";
import {
  childProblems,
  installRbac,
  isReady,
  listDatabases,
  PGOP_CHILDREN,
  randomBetween,
  SERVICE_ACCOUNT,
  serviceAccountKubeconfig,
  sleep,
  waitConverged,
} from "./support/reliability.ts";

Deno.test("reliability: pgop SIGKILLed 6 times at random moments under load converges with no orphan, duplicate or changed password", async (t) => {
  await withCluster({ manifests: [CRD_PATH] }, async (cluster) => {
    await installCrd(cluster);
    const client = await clientFor(cluster);
    const ledger = new PasswordLedger();
    const stopLedger = ledger.start(client, 200);
    const procs: PgopProcess[] = [];
    // 20 Databases at first, then 5 more before each restart: 50 in all.
    const KILLS = 6;
    const waves = [
      Array.from({ length: 20 }, (_, i) => `kill-${i + 1}`),
      ...Array.from(
        { length: KILLS },
        (_, w) => Array.from({ length: 5 }, (_, i) => `kill-${21 + w * 5 + i}`),
      ),
    ];
    const names = waves.flat();
    // At 20 requests/s the 250 writes take over 10 s, so every kill finds work in progress.
    const args = ["--kube-api-qps=20", "--kube-api-burst=10"];
    try {
      let restarted = 0;

      await t.step(`${KILLS} kills, each 200–1500 ms after the caches synced`, async () => {
        await applyDatabases(cluster, waves[0].map((n) => databaseManifest(n)));
        const kills: string[] = [];
        let withWorkLeft = 0;
        for (let i = 0; i < KILLS; i++) {
          const proc = startPgopProcess(cluster, {
            identity: `kill-${i}`,
            leaderElect: false,
            args,
          });
          procs.push(proc);
          await proc.waitForLine(/^Caches synced/, { timeoutMs: 60_000 });
          const delay = randomBetween(200, 1500);
          await sleep(delay);
          proc.signal("SIGKILL");
          const status = await proc.wait();
          assert.equal(status.signal, "SIGKILL");
          // With pgop dead nothing of its own changes: count what it left undone.
          const dbs = await listDatabases(client, "default");
          const unfinished = dbs.filter((d) => !isReady(d)).length;
          if (unfinished > 0) withWorkLeft++;
          kills.push(
            `+${delay} ms: ${proc.grep(/^Reconciling$/).length} reconciles started, ` +
              `${unfinished}/${dbs.length} not Ready`,
          );
          await applyDatabases(cluster, waves[i + 1].map((n) => databaseManifest(n)));
        }
        console.log(`kills:\n  ${kills.join("\n  ")}`);
        assert.ok(withWorkLeft >= 1, "at least one kill interrupted work");
      });

      await t.step("after the last restart every Database becomes Ready", async () => {
        restarted = performance.now();
        const last = startPgopProcess(cluster, { identity: "kill-last", leaderElect: false, args });
        procs.push(last);
        const took = await waitConverged(client, names, { since: restarted, timeoutMs: 180_000 });
        console.log(
          `kills: last restart → children complete ${took.children} s, ` +
            `StatefulSets ready ${took.statefulSets} s, Databases Ready ${took.databases} s`,
        );
      });

      await t.step("each has exactly its 7 children, owned by it; nothing orphaned", async () => {
        assert.deepEqual(await childProblems(client), []);
      });

      await t.step("every Secret kept the password it was first seen with", async () => {
        await stopLedger();
        const { samples, failures } = ledger.counts;
        console.log(`kills: ${samples} password samples (${failures} failed)`);
        // Two Secrets each: the credentials and the replication role's.
        assert.equal(ledger.passwords.size, 2 * names.length);
        assert.deepEqual(ledger.changes, []);
      });
    } finally {
      await stopLedger();
      for (const proc of procs) await proc.stop();
      client.close();
    }
  });
});

/** A password the test puts in a Secret pgop must not take over, nor reveal. */
const FOREIGN_PASSWORD = "foreign-Secret-value-7Qx2mZ9pLw4K";

Deno.test("reliability: under 429 throttling pgop, as its least-privilege ServiceAccount, backs off, converges and leaks no password", async (t) => {
  const audit = await AuditLog.create([SERVICE_ACCOUNT]);
  try {
    // Classic max-in-flight limits (priority and fairness off): a request
    // beyond them is answered at once with 429 and Retry-After: 1. Members of
    // system:masters (the control plane, kubectl here) are exempt, pgop's
    // ServiceAccount is not. Watches are long-running and never counted.
    await withCluster({
      manifests: [CRD_PATH],
      apiserverArgs: [
        "--enable-priority-and-fairness=false",
        "--max-requests-inflight=5",
        "--max-mutating-requests-inflight=2",
        ...audit.apiserverArgs,
      ],
    }, async (cluster) => {
      await installCrd(cluster);
      await installRbac(cluster);
      const kubeconfig = await serviceAccountKubeconfig(cluster);
      const client = await clientFor(cluster);
      // High client-side limits, so the server, not pgop's own limiter, throttles.
      const pgop = startPgopProcess(cluster, {
        identity: "throttled",
        kubeconfig,
        args: [
          "--leader-election-namespace=pgop-system",
          "--kube-api-qps=1000",
          "--kube-api-burst=1000",
          "--workers=16",
          "--log-level=debug",
        ],
      });
      const names = Array.from({ length: 30 }, (_, i) => `throttled-${i + 1}`);
      try {
        await t.step("30 Databases become Ready while the API server sheds load", async () => {
          const port = await pgop.ready();
          assert.ok(port > 0);
          // A name pgop must not take over: a Warning Event and a Failed status follow.
          await cluster.kubectl([
            ...["create", "secret", "generic", "conflict-app"],
            `--from-literal=password=${FOREIGN_PASSWORD}`,
          ]);
          await applyDatabases(cluster, [databaseManifest("conflict")]);
          const applied = performance.now();
          await applyDatabases(cluster, names.map((n) => databaseManifest(n)));
          const took = await waitConverged(client, names, { since: applied, timeoutMs: 240_000 });
          console.log(
            `throttling: applied → children complete ${took.children} s, ` +
              `StatefulSets ready ${took.statefulSets} s, Databases Ready ${took.databases} s`,
          );
          assert.deepEqual(await childProblems(client, { except: ["conflict"] }), []);
        });

        await t.step("its metrics show the 429s, and not one 401 or 403", async () => {
          const scrape = parseExposition(await pgop.metrics());
          const byCode = new Map<string, number>();
          for (const s of samplesOf(scrape, "rest_client_requests_total")) {
            byCode.set(s.labels.code, (byCode.get(s.labels.code) ?? 0) + s.value);
          }
          console.log(
            `throttling: pgop's requests by code ${JSON.stringify(Object.fromEntries(byCode))}`,
          );
          assert.ok((byCode.get("429") ?? 0) > 0, "pgop was throttled");
          assert.equal(byCode.get("401") ?? 0, 0);
          assert.equal(byCode.get("403") ?? 0, 0);
          assert.equal(
            valueOf(scrape, "leader_election_master_status", { name: "pgop-leader" }),
            1,
          );
        });

        await t.step(
          "each request shed with 429 was retried no sooner than Retry-After (1 s)",
          async () => {
            const requests = (await audit.read()).filter((r) => r.user === SERVICE_ACCOUNT);
            const shed = requests.filter((r) => r.code === 429);
            const gaps = retryGapsAfter429(requests);
            const early = gaps.filter((g) => g.gapMs < 950);
            const min = Math.min(...gaps.map((g) => g.gapMs));
            console.log(
              `throttling: audit: ${requests.length} requests, ${shed.length} answered 429; ` +
                `${gaps.length} named ones repeated, the soonest after ${min} ms`,
            );
            assert.ok(shed.length > 0);
            assert.ok(gaps.length > 0, "some named requests were shed and repeated");
            assert.deepEqual(
              early.map((g) =>
                `${g.request.verb} ${g.request.resource}/${g.request.name} again after ${g.gapMs} ms`
              ),
              [],
            );
          },
        );

        await t.step("the foreign Secret is left alone and reported", async () => {
          const conflict = (await listDatabases(client, "default")).find((d: Database) =>
            d.metadata?.name === "conflict"
          );
          assert.equal(conflict?.status?.phase, "Failed");
          const secret = await client.get<Secret>(Resources.secrets, "conflict-app", {
            namespace: "default",
          });
          assert.equal(passwordOf(secret), FOREIGN_PASSWORD);
          const events = JSON.parse(await cluster.kubectl(["get", "events", "-A", "-o", "json"]));
          assert.ok(
            events.items.some((e: { reason?: string }) => e.reason === "ChildConflict"),
            "a ChildConflict Event",
          );
        });

        await t.step(
          "no password appears in logs, Events, Database status or metrics",
          async () => {
            const secrets =
              (await client.list<Secret>(Resources.secrets, { labelSelector: PGOP_CHILDREN }))
                .items;
            const passwords = new Map(
              secrets.map((s) => [`${s.metadata?.name}`, passwordOf(s) ?? ""]),
            );
            // Two Secrets each, and the replication Secret of "conflict" (only its
            // credentials Secret is taken by the foreign one).
            assert.equal(passwords.size, 2 * names.length + 1);
            passwords.set("conflict-app (foreign)", FOREIGN_PASSWORD);
            const logs = pgop.lines.map((l) => l.text).join("\n");
            const debugLines = pgop.grep((l) => l.record?.level === "debug").length;
            assert.ok(debugLines > 0, "debug logging was on");
            const places: Record<string, string> = {
              [`pgop's output (${pgop.lines.length} lines, ${debugLines} at debug)`]: logs,
              "Events": await cluster.kubectl(["get", "events", "-A", "-o", "json"]),
              "Databases": await cluster.kubectl(["get", "databases", "-A", "-o", "json"]),
              "/metrics": await pgop.metrics(),
            };
            console.log(
              `security: ${passwords.size} passwords searched (plain and base64) in ${
                Object.entries(places).map(([place, text]) => `${place}: ${text.length} chars`)
                  .join(", ")
              }`,
            );
            for (const [place, text] of Object.entries(places)) {
              assert.ok(text.length > 0, place);
              assert.deepEqual(leakedIn(text, passwords), [], `passwords found in ${place}`);
            }
            // The check itself works: a Secret's own JSON holds its password in base64.
            assert.deepEqual(leakedIn(JSON.stringify(secrets[0]), passwords).length, 1);
          },
        );

        await t.step("the HTTP server answers only /metrics, /healthz and /readyz", async () => {
          const port = await pgop.ready();
          const status = async (path: string, method = "GET") => {
            const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
            await res.body?.cancel();
            return res.status;
          };
          for (const path of ["/metrics", "/healthz", "/readyz", "/metrics?format=x"]) {
            assert.equal(await status(path), 200, path);
          }
          for (
            const path of [
              "/",
              "/metrics/",
              "/healthz/x",
              "/readyz/",
              "/debug/pprof/",
              "/debug/vars",
              "/env",
              "/config",
              "/favicon.ico",
              "/%2e%2e/%2e%2e/etc/passwd",
              "/METRICS",
            ]
          ) {
            assert.equal(await status(path), 404, path);
          }
          for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
            assert.equal(await status("/metrics", method), 405, method);
          }
        });
      } finally {
        await pgop.stop();
        client.close();
      }
    });
  } finally {
    await audit.remove();
  }
});
