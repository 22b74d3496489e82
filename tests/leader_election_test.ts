/**
 * High availability end to end: several pgop processes (`--leader-elect`)
 * against the real control plane, with real signals. Each process has its own
 * client certificate (user `pgop-replica-<identity>`), and the API server keeps an
 * audit log of every write to the Lease and to pgop's objects, so "who wrote
 * what, and was it the leader then?" is answered by the API server itself.
 *
 * Timings: most steps use `--lease-duration=4s --renew-deadline=3s
 * --retry-period=1s` (valid: 4 > 3 > 1.2 × 1), so a fail-over takes seconds
 * instead of the default 15; the graceful hand-over runs with the defaults
 * (15s/10s/2s), as users run pgop.
 *
 * Bounds asserted (generous; the measured figures come from bench/failover.ts):
 * - SIGKILL: a standby takes over on its first try `leaseDuration` after it
 *   last saw the Lease change. It tries every retryPeriod × (1 + 1.2 jitter),
 *   and its first try after the kill may still see the last renewal as a
 *   change, so: ≤ leaseDuration + 2 × retryPeriod × 2.2 + 1 s slack; and not
 *   before leaseDuration − retryPeriod − 0.5 s (the killed leader renewed at
 *   most one retry period before the kill);
 * - SIGTERM: the leader exits 0 within 5 s after releasing the Lease, and a
 *   standby takes it on its next try: ≤ retryPeriod × (1 + 1.2) + 1 s.
 *
 * The SIGSTOP step fails without the write fence (`LeaderElector.holdsLease()`
 * through `FencedClient`): a resumed leader used to reconcile and write (a
 * status patch, refused creates) for ~10 ms before it learnt from the Lease
 * that another had taken over.
 */
import { userKubeconfig } from "./support/cluster_extras.ts";
import assert from "node:assert/strict";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import type { Database } from "../lib/database/types.ts";
import { Resources } from "../lib/kube/resource.ts";
import type { KubeClient } from "../lib/kube/types.ts";
import { clientFor } from "./support/client.ts";
import { withCluster } from "./support/cluster.ts";
import { applyDatabases, databaseManifest, installCrd } from "./support/pgop.ts";
import { AuditLog } from "./support/audit.ts";
import { readLease, waitForHolder } from "./support/lease.ts";
import { LEASE_AUDIT_POLICY, replicaWrites, writesByNonLeaders } from "./support/lease_audit.ts";
import { type PgopProcess } from "./support/pgop_process.ts";
import { startPgopProcess } from "./support/start_pgop_process.ts";
import { queueIdleIn } from "./support/settled.ts";
import { waitUntil } from "./support/wait.ts";

const SHORT = { leaseMs: 4_000, renewMs: 3_000, retryMs: 1_000 };
const SHORT_ARGS = ["--lease-duration=4s", "--renew-deadline=3s", "--retry-period=1s"];
const DEFAULT_RETRY_MS = 2_000;
const JITTER = 1.2;
const RECONCILING = /^Reconciling$/;
const USER_PREFIX = "pgop-replica-";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the Lease names one of `procs` and that process reports itself leader. */
async function waitForLeader(client: KubeClient, procs: readonly PgopProcess[]) {
  const ids = new Set(procs.map((p) => p.identity));
  const { holder } = await waitForHolder(client, (h) => ids.has(h), { timeoutMs: 60_000 });
  const leader = procs.find((p) => p.identity === holder);
  assert.ok(leader);
  await waitUntil(
    `${holder} reports leader_election_master_status 1`,
    async () => (await leader.leaderStatus()) === 1,
  );
  return leader;
}

/** Reconciling lines of `proc` (from line `from`), optionally of one Database. */
function reconciles(proc: PgopProcess, from = 0, name?: string) {
  return proc.grep((l) => RECONCILING.test(l.message) && (!name || l.record?.name === name), from);
}

async function readyDatabases(client: KubeClient) {
  const page = await client.list<Database>(Resources.databases, { namespace: "default" });
  const ready = (d: Database) =>
    d.status?.phase === "Ready" && d.status.observedGeneration === d.metadata?.generation;
  return {
    all: page.items.map((d) => d.metadata?.name ?? ""),
    ready: new Set(page.items.filter(ready).map((d) => d.metadata?.name ?? "")),
  };
}

/** Waits until every Database in `names` (default: every Database) is Ready. */
async function waitReady(client: KubeClient, names?: readonly string[], timeoutMs = 120_000) {
  await waitUntil("Databases Ready", async () => {
    const { all, ready } = await readyDatabases(client);
    const missing = (names ?? all).filter((n) => !ready.has(n));
    if (missing.length) throw new Error(`not Ready: ${missing.join(", ")}`);
    return true;
  }, { timeoutMs, intervalMs: 500 });
}

/** Secret name → password, of every Secret pgop made. */
async function passwords(client: KubeClient): Promise<Map<string, string>> {
  const page = await client.list<Secret>(Resources.secrets, {
    namespace: "default",
    labelSelector: "app.kubernetes.io/managed-by=pgop",
  });
  return new Map(page.items.map((s) => [s.metadata?.name ?? "", s.data?.password ?? ""]));
}

Deno.test("leader election: one leader; fail-over on SIGKILL, SIGSTOP and SIGTERM; no stale writer; nothing lost", async (t) => {
  const audit = await AuditLog.withPolicy(LEASE_AUDIT_POLICY);
  const auditedWrites = async () => replicaWrites(await audit.read(), USER_PREFIX);
  try {
    await withCluster({ apiserverArgs: audit.apiserverArgs }, async (cluster) => {
      await installCrd(cluster);
      const client = await clientFor(cluster);
      const all: PgopProcess[] = [];
      // One certificate at a time: openssl's serial file does not take concurrent signings.
      let signing = Promise.resolve("");
      const start = async (identity: string, args = SHORT_ARGS) => {
        const user = `${USER_PREFIX}${identity}`;
        signing = signing.catch(() => "").then(() =>
          userKubeconfig(cluster, user, ["system:masters"])
        );
        const kubeconfig = await signing;
        const proc = startPgopProcess(cluster, { identity, args, kubeconfig });
        all.push(proc);
        await proc.ready();
        return proc;
      };
      // A failed step fails the test without throwing; throwing at the end keeps the logs.
      const failed: string[] = [];
      const step = async (name: string, fn: () => Promise<void>) => {
        if (!(await t.step(name, fn))) failed.push(name);
      };
      try {
        let procs = await Promise.all(["a", "b", "c"].map((id) => start(id)));
        let leader = await waitForLeader(client, procs);

        await step("exactly one leader at a time; only it reconciles and writes", async () => {
          // Every candidate campaigns once its caches synced; the gauge shows from then on.
          await waitUntil(
            "every candidate reports leader_election_master_status",
            async () =>
              (await Promise.all(procs.map((p) => p.leaderStatus()))).every((s) => s !== undefined),
          );
          for (let i = 0; i < 10; i++) {
            const record = await readLease(client);
            const statuses = await Promise.all(procs.map((p) => p.leaderStatus()));
            assert.equal(record?.holderIdentity, leader.identity, `sample ${i}`);
            assert.deepEqual(statuses, procs.map((p) => (p === leader ? 1 : 0)), `sample ${i}`);
            await sleep(200);
          }
          const names = ["ha-1", "ha-2", "ha-3"];
          await applyDatabases(cluster, names.map((n) => databaseManifest(n)));
          await waitReady(client, names);
          for (const name of names) assert.ok(reconciles(leader, 0, name).length > 0, name);
          const writers = new Set(
            (await auditedWrites()).filter((w) => w.resource !== "leases").map((w) => w.user),
          );
          assert.deepEqual([...writers], [leader.identity]);
          for (const standby of procs.filter((p) => p !== leader)) {
            assert.deepEqual(reconciles(standby), [], `${standby.identity} reconciled`);
          }
        });

        await step("SIGKILL of the leader: a standby leads once the lease expired", async () => {
          const killed = leader;
          const standbys = procs.filter((p) => p !== killed);
          const ids = new Set(standbys.map((p) => p.identity));
          const sent = performance.now();
          killed.signal("SIGKILL");
          const { holder, at } = await waitForHolder(client, (h) => ids.has(h));
          const seconds = (at - sent) / 1000;
          console.log(`SIGKILL fail-over (4s/3s/1s): ${seconds.toFixed(2)} s, to ${holder}`);
          assert.ok(seconds <= (SHORT.leaseMs + 2 * SHORT.retryMs * (1 + JITTER) + 1_000) / 1000);
          assert.ok(seconds >= (SHORT.leaseMs - SHORT.retryMs - 500) / 1000, "taken over early");
          assert.equal((await killed.wait()).signal, "SIGKILL");
          leader = await waitForLeader(client, standbys);
          // The new leader works at once, from caches kept warm while standing by.
          await applyDatabases(cluster, [databaseManifest("ha-4")]);
          await waitReady(client, ["ha-4"]);
          assert.ok(reconciles(leader, 0, "ha-4").length > 0);
          procs = [...standbys, await start("d")];
        });

        await step("SIGSTOP of the leader: once resumed, it writes nothing", async () => {
          // To the others a SIGSTOP looks like a partition, a long GC pause or a frozen VM: the
          // leader stops renewing without exiting. It is paused while idle, so that no request
          // of its own is already on its way (one sent just before a pause may arrive after it:
          // no client-side check can recall it).
          const paused = leader;
          const others = procs.filter((p) => p !== paused);
          const ids = new Set(others.map((p) => p.identity));
          await waitReady(client);
          await waitUntil("the leader idle for 1.5 s", () => {
            const last = reconciles(paused).at(-1);
            return !last || performance.now() - last.at > 1_500;
          });
          paused.signal("SIGSTOP");
          const stoppedAt = performance.now();
          const { holder } = await waitForHolder(client, (h) => ids.has(h));
          const successor = others.find((p) => p.identity === holder);
          assert.ok(successor);
          // Work for the successor, which the paused process finds in its watches on resume: a
          // new Database, a spec change, and a Database whose Service name is taken by a
          // foreign Service (reconciling it always writes: a refused create, a Warning Event).
          await cluster.kubectl(["create", "service", "clusterip", "ha-c1", "--tcp=5432:5432"]);
          await applyDatabases(cluster, [
            databaseManifest("ha-s1"),
            databaseManifest("ha-1", { spec: { replicas: 2 } }),
            databaseManifest("ha-c1"),
          ]);
          await waitReady(client, ["ha-s1", "ha-1"]);
          await waitUntil("the successor reported the conflict of ha-c1", async () => {
            const writes = (await auditedWrites()).filter((w) => w.user === successor.identity);
            const status = writes.find((w) => w.resource === "databases" && w.name === "ha-c1");
            // The Event (its name is generated) follows the status write.
            return status !== undefined &&
              writes.some((w) => w.resource === "events" && w.received >= status.received);
          });
          const before = await passwords(client);
          const left = 2 * SHORT.leaseMs - (performance.now() - stoppedAt);
          if (left > 0) await sleep(left); // well past its renew deadline

          const resumedFrom = paused.mark();
          const resumedAt = Date.now();
          paused.signal("SIGCONT");
          const stopped = await paused.waitForLine(/^Stopped leading lease/, {
            from: resumedFrom,
          });
          // Late writes would come from reconciles in flight when it resumed: every write
          // of a reconcile is answered before it ends, so once nothing is in flight the
          // audit log holds them all.
          await waitUntil("the former leader has no reconcile in flight", async () => {
            return queueIdleIn(await paused.metrics()) && await paused.leaderStatus() === 0;
          });
          const late = (await auditedWrites()).filter((w) =>
            w.user === paused.identity && w.resource !== "leases" && w.received >= resumedAt
          ).map((w) => `${w.verb} ${w.resource}/${w.name} → ${w.code}`);
          console.log(
            `after SIGCONT: ${reconciles(paused, resumedFrom).length} reconciles started, ` +
              `${late.length} writes; stopped leading: ${JSON.stringify(stopped.record?.reason)}`,
          );
          assert.deepEqual(
            late,
            [],
            "writes by the resumed former leader, until it logged that it stopped leading and had nothing in flight",
          );
          assert.equal(await paused.leaderStatus(), 0);
          assert.equal((await readLease(client))?.holderIdentity, successor.identity);
          const after = await passwords(client);
          for (const [name, password] of before) assert.equal(after.get(name), password, name);
          leader = successor;
        });

        await step(
          "SIGKILL under load: 30 new Databases all Ready, no password regenerated",
          async () => {
            leader = await waitForLeader(client, procs);
            const initial = await passwords(client);
            // Every password seen per Secret; a second value would be a regenerated password.
            const seen = new Map<string, Set<string>>();
            let sampling = true;
            const sample = async () => {
              for (const [name, password] of await passwords(client)) {
                seen.set(name, (seen.get(name) ?? new Set()).add(password));
              }
            };
            const sampler = (async () => {
              while (sampling) await Promise.all([sample(), sleep(250)]);
            })();
            const names = Array.from({ length: 30 }, (_, i) => `ha-load-${i}`);
            const killed = leader;
            let notReadyAtKill = 0;
            try {
              for (let batch = 0; batch < 3; batch++) {
                const from = killed.mark();
                await applyDatabases(
                  cluster,
                  names.slice(batch * 10, batch * 10 + 10).map((n) => databaseManifest(n)),
                );
                if (batch > 0) {
                  await sleep(1_000);
                  continue;
                }
                // Mid-work: the leader has started on the first batch.
                await killed.waitForLine(RECONCILING, { from });
                killed.signal("SIGKILL");
                const { ready } = await readyDatabases(client);
                notReadyAtKill = names.slice(0, 10).filter((n) => !ready.has(n)).length;
              }
              await waitReady(client, names, 180_000);
            } finally {
              sampling = false;
              await sampler;
            }
            await sample();
            console.log(
              `SIGKILL under load: ${notReadyAtKill} of the first 10 not Ready at the kill`,
            );
            assert.ok(notReadyAtKill > 0, "the leader was killed with work in flight");
            for (const name of names) assert.ok(seen.has(`${name}-app`), `Secret of ${name}`);
            const changed = [...seen].filter(([, values]) => values.size > 1).map(([n]) => n);
            assert.deepEqual(changed, [], "Secrets whose password changed");
            for (const [name, password] of initial) {
              assert.deepEqual([...seen.get(name) ?? []], [password], name);
            }
            procs = procs.filter((p) => p !== killed);
          },
        );

        await step(
          "SIGTERM with the default timings: exit 0, lease released, standby leads",
          async () => {
            await Promise.all(procs.map((p) => p.stop()));
            const g = await Promise.all(["g1", "g2"].map((id) => start(id, [])));
            const old = await waitForLeader(client, g);
            const standby = g.find((p) => p !== old);
            assert.ok(standby);
            await standby.waitForLine((l) =>
              /^Lease .* is held by/.test(l.message) && l.record?.holder === old.identity
            );
            const holders: Array<{ at: number; holder: string }> = [];
            let polling = true;
            const poller = (async () => {
              while (polling) {
                const at = performance.now();
                const holder = (await readLease(client))?.holderIdentity ?? "(none)";
                if (holders.at(-1)?.holder !== holder) holders.push({ at, holder });
                await sleep(20);
              }
            })();
            const sent = performance.now();
            let exited = 0;
            try {
              old.signal("SIGTERM");
              assert.equal((await old.wait()).code, 0);
              exited = performance.now();
              // The poller's own reads, not another reader's: the takeover time comes from them.
              await waitUntil(
                "the poller saw the standby hold the Lease",
                () => holders.some((h) => h.holder === standby.identity),
                { timeoutMs: 30_000, intervalMs: 20 },
              );
            } finally {
              polling = false;
              await poller;
            }
            const took = holders.find((h) => h.holder === standby.identity);
            assert.ok(took);
            const seconds = (took.at - sent) / 1000;
            console.log(
              `SIGTERM (15s/10s/2s): exit 0 after ${((exited - sent) / 1000).toFixed(2)} s, ` +
                `standby leads after ${seconds.toFixed(2)} s; Lease holders: ${
                  holders.map((h) => `"${h.holder}" at ${((h.at - sent) / 1000).toFixed(2)} s`)
                    .join(", ")
                }`,
            );
            assert.ok(exited - sent <= 5_000);
            assert.equal(old.grep(/^Released lease/).length, 1);
            assert.ok(seconds <= (DEFAULT_RETRY_MS * (1 + JITTER) + 1_000) / 1000);
            // Never two holders: the old leader, (released: "", if a poll fell in between), the standby.
            assert.deepEqual(holders.map((h) => h.holder).filter(Boolean), [
              old.identity,
              standby.identity,
            ]);
            await waitUntil(
              "the standby reports leadership",
              async () => (await standby.leaderStatus()) === 1,
            );
            await applyDatabases(cluster, [databaseManifest("ha-g1")]);
            await waitReady(client, ["ha-g1"]);
            assert.ok(reconciles(standby, 0, "ha-g1").length > 0);
          },
        );

        await step("over the whole run, only the Lease holder of the moment wrote", async () => {
          const writes = await auditedWrites();
          assert.ok(writes.filter((w) => w.resource !== "leases").length > 100);
          assert.deepEqual(writesByNonLeaders(writes), []);
        });
      } finally {
        await Promise.all(all.map((p) => p.stop()));
        client.close();
      }
      if (failed.length) {
        throw new Error(`Failed: ${failed.join("; ")} (logs: ${cluster.dir}, ${audit.path})`);
      }
    });
    await audit.remove(); // kept when the test failed
  } catch (error) {
    console.error(`audit log kept in ${audit.path}`);
    throw error;
  }
});
