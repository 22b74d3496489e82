/**
 * High availability end to end: several pgop processes (`--leader-elect`)
 * against the real control plane, with real signals.
 *
 * Timings: most steps use `--lease-duration=4s --renew-deadline=3s
 * --retry-period=1s` (valid: 4 > 3 > 1.2 × 1), so a fail-over takes seconds,
 * not the default 15; the graceful hand-over is also checked with the defaults
 * (15s/10s/2s), as a user would run pgop.
 *
 * Bounds asserted (generous; measured figures are in bench/failover.ts):
 * - after SIGKILL, a standby's next try after `leaseDuration` since it last saw
 *   the lease change takes over: ≤ leaseDuration + retryPeriod × (1 + 1.2
 *   jitter) + 2 s slack, and never before leaseDuration − retryPeriod (the
 *   killed leader's last renewal was at most one retry period before the kill);
 * - after SIGTERM the leader releases the lease and the standby takes it at its
 *   next try: ≤ retryPeriod × (1 + 1.2) + 1 s slack.
 */
import assert from "node:assert/strict";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import type { Database } from "../lib/database/types.ts";
import { Resources } from "../lib/kube/resource.ts";
import type { KubeClient } from "../lib/kube/types.ts";
import { clientFor } from "./support/client.ts";
import { type LocalCluster, withCluster } from "./support/cluster.ts";
import { applyDatabases, databaseManifest, installCrd } from "./support/pgop.ts";
import {
  metricSum,
  type PgopProcess,
  readLease,
  startPgopProcess,
  waitForHolder,
} from "./support/pgop_process.ts";
import { waitUntil } from "./support/wait.ts";

/** Short but valid timings (see the module comment). */
const SHORT = { leaseMs: 4_000, renewMs: 3_000, retryMs: 1_000 };
const SHORT_ARGS = ["--lease-duration=4s", "--renew-deadline=3s", "--retry-period=1s"];
/** pgop's (and client-go's) defaults. */
const DEFAULT = { leaseMs: 15_000, renewMs: 10_000, retryMs: 2_000 };
const JITTER = 1.2;
const WRITE_METHODS = new Set(["create", "update", "patch", "apply", "delete"]);
const RECONCILING = /^Reconciling$/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes pgop made to anything but the Lease, from a /metrics text. */
function objectWrites(metricsText: string): number {
  return metricSum(
    metricsText,
    "rest_client_requests_total",
    (l) => WRITE_METHODS.has(l.method) && !l.resource.startsWith("leases"),
  );
}

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

/** Reconciling lines of `proc` (from line `from`) that name `name`. */
function reconciled(proc: PgopProcess, name: string, from = 0) {
  return proc.grep((l) => RECONCILING.test(l.message) && l.record?.name === name, from);
}

async function readyDatabases(client: KubeClient): Promise<Set<string>> {
  const page = await client.list<Database>(Resources.databases, { namespace: "default" });
  return new Set(
    page.items.filter((d) =>
      d.status?.phase === "Ready" && d.status.observedGeneration === d.metadata?.generation
    ).map((d) => d.metadata?.name ?? ""),
  );
}

async function waitReady(client: KubeClient, names: readonly string[], timeoutMs = 120_000) {
  let missing: string[] = [];
  await waitUntil(`Databases Ready (missing: ${missing.length})`, async () => {
    const ready = await readyDatabases(client);
    missing = names.filter((n) => !ready.has(n));
    return missing.length === 0;
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

function start(cluster: LocalCluster, all: PgopProcess[], identity: string, args = SHORT_ARGS) {
  const proc = startPgopProcess(cluster, { identity, args });
  all.push(proc);
  return proc;
}

Deno.test("leader election: one leader, fail-over on SIGKILL/SIGSTOP/SIGTERM, nothing lost", async (t) => {
  await withCluster({}, async (cluster) => {
    await installCrd(cluster);
    const client = await clientFor(cluster);
    const all: PgopProcess[] = [];
    // A failed step fails the test but does not throw; throwing at the end keeps the logs.
    const failed: string[] = [];
    const step = async (name: string, fn: () => Promise<void>) => {
      if (!(await t.step(name, fn))) failed.push(name);
    };
    try {
      let procs = ["a", "b", "c"].map((id) => start(cluster, all, id));
      await Promise.all(procs.map((p) => p.ready()));
      let leader = await waitForLeader(client, procs);

      await step("exactly one leader at a time, and only it reconciles and writes", async () => {
        for (let i = 0; i < 10; i++) {
          const record = await readLease(client);
          const statuses = await Promise.all(procs.map((p) => p.leaderStatus()));
          assert.equal(record?.holderIdentity, leader.identity, `sample ${i}`);
          assert.deepEqual(
            statuses,
            procs.map((p) => (p === leader ? 1 : 0)),
            `sample ${i}: leader_election_master_status of ${procs.map((p) => p.identity)}`,
          );
          await sleep(200);
        }
        const names = ["ha-1", "ha-2", "ha-3"];
        await applyDatabases(cluster, names.map((n) => databaseManifest(n)));
        await waitReady(client, names);
        for (const name of names) assert.ok(reconciled(leader, name).length > 0, name);
        for (const standby of procs.filter((p) => p !== leader)) {
          assert.deepEqual(standby.grep(RECONCILING), [], `${standby.identity} reconciled`);
          assert.equal(objectWrites(await standby.metrics()), 0, `${standby.identity} wrote`);
        }
        assert.ok(objectWrites(await leader.metrics()) >= 4 * names.length);
      });

      await step("SIGKILL of the leader: a standby leads within the lease duration", async () => {
        const killed = leader;
        const standbys = procs.filter((p) => p !== killed);
        const ids = new Set(standbys.map((p) => p.identity));
        const sent = performance.now();
        killed.signal("SIGKILL");
        const { holder, at } = await waitForHolder(client, (h) => ids.has(h), {
          timeoutMs: 30_000,
        });
        const seconds = (at - sent) / 1000;
        console.log(`SIGKILL fail-over: ${seconds.toFixed(2)} s to ${holder}`);
        assert.ok(seconds <= (SHORT.leaseMs + SHORT.retryMs * (1 + JITTER) + 2_000) / 1000);
        assert.ok(
          seconds >= (SHORT.leaseMs - SHORT.retryMs - 500) / 1000,
          "taken over before the lease could have expired",
        );
        assert.notEqual((await killed.wait()).success, true);
        leader = await waitForLeader(client, standbys);
        assert.equal(leader.identity, holder);
        // The new leader picks up work at once, from its warm cache.
        await applyDatabases(cluster, [databaseManifest("ha-4")]);
        await waitReady(client, ["ha-4"]);
        assert.ok(reconciled(leader, "ha-4").length > 0);
        procs = [...standbys, start(cluster, all, "d")];
        await procs[2].ready();
      });

      await step("SIGSTOP (a partitioned leader): it writes nothing once resumed", async () => {
        const paused = leader;
        const others = procs.filter((p) => p !== paused);
        const ids = new Set(others.map((p) => p.identity));
        await waitReady(client, ["ha-1", "ha-2", "ha-3", "ha-4"]);
        const writesBefore = objectWrites(await paused.metrics());
        const before = await passwords(client);
        paused.signal("SIGSTOP");
        const stoppedAt = performance.now();
        const { holder } = await waitForHolder(client, (h) => ids.has(h), { timeoutMs: 30_000 });
        const successor = others.find((p) => p.identity === holder);
        assert.ok(successor);
        // Work for the new leader that the paused one will see in its watches on resume.
        const names = ["ha-s1", "ha-s2", "ha-s3", "ha-s4", "ha-s5"];
        await applyDatabases(cluster, [
          ...names.map((n) => databaseManifest(n)),
          databaseManifest("ha-1", { spec: { replicas: 2 } }),
        ]);
        await waitReady(client, [...names, "ha-1"]);
        // Well past the paused leader's renew deadline (and lease duration).
        const waited = performance.now() - stoppedAt;
        if (waited < 2 * SHORT.leaseMs) await sleep(2 * SHORT.leaseMs - waited);

        const resumedFrom = paused.mark();
        paused.signal("SIGCONT");
        await paused.waitForLine(/^Stopped leading lease/, {
          from: resumedFrom,
          timeoutMs: 10_000,
        });
        await sleep(3_000); // room for any late write to show
        const late = paused.grep(RECONCILING, resumedFrom).map((l) => l.text);
        const lateWrites = objectWrites(await paused.metrics()) - writesBefore;
        assert.deepEqual(
          { reconciles: late, writes: lateWrites },
          { reconciles: [], writes: 0 },
          "the resumed former leader reconciled or wrote",
        );
        assert.equal(await paused.leaderStatus(), 0);
        assert.equal((await readLease(client))?.holderIdentity, successor.identity);
        assert.ok(reconciled(successor, "ha-s1").length > 0);
        const after = await passwords(client);
        for (const [name, password] of before) assert.equal(after.get(name), password, name);
        leader = successor;
      });

      await step(
        "SIGKILL under load: all 30 new Databases Ready, no password regenerated",
        async () => {
          const initial = await passwords(client);
          // Every password ever seen per Secret; a second value is a regenerated password.
          const seen = new Map<string, Set<string>>();
          for (const [name, password] of initial) seen.set(name, new Set([password]));
          let sampling = true;
          const sampler = (async () => {
            while (sampling) {
              for (const [name, password] of await passwords(client)) {
                const values = seen.get(name) ?? new Set();
                values.add(password);
                seen.set(name, values);
              }
              await sleep(250);
            }
          })();
          const names = Array.from({ length: 30 }, (_, i) => `ha-load-${i}`);
          const killed = await waitForLeader(client, procs);
          let killedWhileBusy = 0;
          try {
            for (let batch = 0; batch < 3; batch++) {
              const from = killed.mark();
              await applyDatabases(
                cluster,
                names.slice(batch * 10, batch * 10 + 10).map((n) => databaseManifest(n)),
              );
              if (batch === 0) {
                // Mid-work: the leader has started on the first batch, which is not all Ready yet.
                await killed.waitForLine(RECONCILING, { from });
                killed.signal("SIGKILL");
                const ready = await readyDatabases(client);
                killedWhileBusy = names.slice(0, 10).filter((n) => !ready.has(n)).length;
              } else await sleep(1_000);
            }
            const ids = new Set(procs.filter((p) => p !== killed).map((p) => p.identity));
            await waitForHolder(client, (h) => ids.has(h), { timeoutMs: 30_000 });
            await waitReady(client, names, 180_000);
          } finally {
            sampling = false;
            await sampler;
          }
          console.log(`killed the leader with ${killedWhileBusy} of the first 10 not Ready yet`);
          assert.ok(killedWhileBusy > 0, "the leader was killed with work in flight");
          for (const name of names) assert.ok(seen.has(`${name}-app`), `Secret of ${name}`);
          const regenerated = [...seen].filter(([, values]) => values.size > 1).map(([n]) => n);
          assert.deepEqual(regenerated, [], "Secrets whose password changed");
          const final = await passwords(client);
          for (const [name, password] of initial) assert.equal(final.get(name), password, name);
          procs = procs.filter((p) => p !== killed);
        },
      );

      await step(
        "SIGTERM with default timings: exit 0, lease released, standby leads",
        async () => {
          await Promise.all(procs.map((p) => p.stop()));
          const g = ["g1", "g2"].map((id) => start(cluster, all, id, []));
          await Promise.all(g.map((p) => p.ready()));
          const old = await waitForLeader(client, g);
          const standby = g.find((p) => p !== old);
          assert.ok(standby);
          // The standby knows the leader (its cache is warm and it is polling the lease).
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
          let exitedAt = 0;
          try {
            old.signal("SIGTERM");
            const status = await old.wait();
            exitedAt = performance.now();
            assert.equal(status.code, 0);
            await waitForHolder(client, (h) => h === standby.identity, { timeoutMs: 30_000 });
          } finally {
            polling = false;
            await poller;
          }
          const exitSeconds = (exitedAt - sent) / 1000;
          const took = holders.find((h) => h.holder === standby.identity);
          assert.ok(took);
          const handOver = (took.at - sent) / 1000;
          console.log(
            `SIGTERM hand-over (defaults): exit after ${exitSeconds.toFixed(2)} s, ` +
              `standby leads after ${handOver.toFixed(2)} s; holders ${
                holders.map((h) => `${((h.at - sent) / 1000).toFixed(2)}s:"${h.holder}"`).join(
                  " → ",
                )
              }`,
          );
          assert.ok(exitSeconds <= 5, `exit took ${exitSeconds} s`);
          assert.ok(old.grep(/^Released lease/).length === 1, "the old leader released the lease");
          assert.ok(handOver <= (DEFAULT.retryMs * (1 + JITTER) + 1_000) / 1000);
          // Never two holders: the old leader's name, then "" (released), then the standby's.
          assert.deepEqual(
            holders.map((h) => h.holder).filter((h) => h !== ""),
            [old.identity, standby.identity],
          );
          await waitUntil(
            "the standby reports leadership",
            async () => (await standby.leaderStatus()) === 1,
          );
          await applyDatabases(cluster, [databaseManifest("ha-g1")]);
          await waitReady(client, ["ha-g1"]);
          assert.ok(reconciled(standby, "ha-g1").length > 0);
        },
      );
    } finally {
      await Promise.all(all.map((p) => p.stop()));
      client.close();
    }
    if (failed.length) {
      throw new Error(`Failed: ${failed.join("; ")} (pgop logs: ${cluster.dir}/pgop-*.log)`);
    }
  });
});
