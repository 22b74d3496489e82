/**
 * pgop's instance script against real PostgreSQL processes on this machine:
 * a primary and a standby on loopback, roles driven through label files as
 * the downward API would, a forwarder standing for `NAME-rw`. Needs a
 * PostgreSQL server package (`postgresql-15` on Debian); without one the
 * tests are skipped and say so.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DEMOTE_ID_ANNOTATION,
  parseDemotedMessage,
  PROMOTE_AFTER_LSN_ANNOTATION,
  PROMOTE_DEADLINE_ANNOTATION,
  REPLICAS_ANNOTATION,
  SYNCHRONOUS_ANNOTATION,
} from "../lib/database/roles.ts";
import { type Instance, InstanceSet, postgresBinDir } from "./support/instances.ts";
import { waitUntil } from "./support/wait.ts";

const binDir = postgresBinDir();
if (binDir === undefined) {
  console.warn("instance_script_test: no PostgreSQL in /usr/lib/postgresql; skipped");
}
const ignore = binDir === undefined;

/** Waits until `instance` passes its readiness probe; on failure shows its log. */
async function ready(instance: Instance, what: string, timeoutMs = 60_000): Promise<void> {
  try {
    await waitUntil(what, () => instance.probe("ready"), { timeoutMs, intervalMs: 200 });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- ${instance.pod} log:\n${await instance
      .tail()}`);
  }
  const pid = await instance.postmasterPid();
  if (pid !== undefined) {
    await Deno.writeTextFile(join(instance.dir, "..", "pids"), `${pid}\n`, { append: true });
  }
}

/** Runs `fn` with two fresh instances, stopped and removed afterwards. */
async function withInstances(fn: (set: InstanceSet) => Promise<void>): Promise<void> {
  const set = await InstanceSet.create(2, { binDir: binDir ?? "" });
  try {
    await fn(set);
  } finally {
    await set.stop();
  }
}

/** A primary db-0 and a streaming standby db-1, with a table `t`. */
async function primaryAndStandby(set: InstanceSet): Promise<[Instance, Instance]> {
  const [a, b] = set.instances;
  for (const i of [a, b]) await i.annotate({ [REPLICAS_ANNOTATION]: "2" });
  await a.label("primary");
  a.start();
  await ready(a, "db-0 to be a ready primary");
  set.rw.target = a.port;
  await a.sql("create table t (id int primary key)");
  await b.label("replica");
  b.start();
  await ready(b, "db-1 to stream from db-0");
  return [a, b];
}

/**
 * Row 1 written, then db-1 scaled away as the StatefulSet and pgop would:
 * stopped (its volume stays), replicas=1 on the primary, its slot dropped.
 */
async function scaleAway(set: InstanceSet, a: Instance, b: Instance): Promise<void> {
  await set.sql(set.rw.port, "insert into t values (1)");
  assert.equal((await b.process?.stop(20_000))?.code, 0);
  await a.annotate({ [REPLICAS_ANNOTATION]: "1" });
  await waitUntil(
    "the slot of db-1 dropped",
    async () => (await a.sql("select count(*) from pg_replication_slots")) === "0",
  );
}

Deno.test({
  name: "instance script: a cloned standby streams, and a write is readable on it",
  ignore,
  async fn() {
    await withInstances(async (set) => {
      const [a, b] = await primaryAndStandby(set);
      await set.sql(set.rw.port, "insert into t values (1)");
      await waitUntil(
        "the row on the standby",
        async () => (await b.sql("select count(*) from t")) === "1",
        {
          timeoutMs: 10_000,
        },
      );
      assert.equal(await b.sql("select pg_is_in_recovery()"), "t");
      assert.ok(await a.probe("alive") && await b.probe("alive"));
      // A standby stopped (its pod deleted) misses writes, comes back and catches up.
      assert.equal((await b.process?.stop(20_000))?.code, 0);
      await set.sql(set.rw.port, "insert into t select generate_series(2, 100)");
      b.start();
      await ready(b, "db-1 to stream again");
      await waitUntil(
        "the standby to catch up",
        async () => (await b.sql("select count(*) from t")) === "100",
      );
      // The primary keeps a slot for the standby (and none for itself).
      assert.equal(
        await a.sql("select slot_name || ':' || active from pg_replication_slots"),
        "pgop_db_1:true",
      );
    });
  },
});

Deno.test({
  name: "instance script: a switchover keeps every committed row and the old primary rejoins",
  ignore,
  async fn() {
    await withInstances(async (set) => {
      const [a, b] = await primaryAndStandby(set);
      // Writes through NAME-rw, one row at a time, until told to stop; a row
      // counts as committed once psql returned success.
      const committed: number[] = [];
      let writing = true;
      let failures = 0;
      const writer = (async () => {
        for (let id = 1; writing && id < 100_000; id++) {
          try {
            await set.sql(set.rw.port, `insert into t values (${id})`);
            committed.push(id);
          } catch {
            failures++;
          }
        }
      })();
      await waitUntil("some writes before the switchover", () => committed.length >= 20);

      // 1. pgop relabels the old primary: it leaves the Service and stops cleanly.
      const outageStart = performance.now();
      await a.annotate({ [DEMOTE_ID_ANNOTATION]: "switchover-1" });
      await a.label("replica");
      set.rw.target = undefined;
      const exit = await a.process?.wait();
      assert.equal(exit?.code, 0, await a.tail());
      const demoted = parseDemotedMessage(await a.terminationMessage());
      assert.ok(demoted, `termination message: ${await a.terminationMessage()}`);
      assert.equal(demoted.timeline, 1);
      assert.equal(demoted.id, "switchover-1");
      // The kubelet restarts the container; it waits for a primary to rejoin.
      a.start();

      // 2. pgop hands over: the final LSN and the primary label, in one patch.
      await b.annotate({
        [PROMOTE_AFTER_LSN_ANNOTATION]: demoted.lsn,
        [PROMOTE_DEADLINE_ANNOTATION]: String(Math.floor(Date.now() / 1000) + 60),
      });
      await b.label("primary");
      // As NAME-rw does: the target, Ready from its last probe as a streaming
      // standby, is an endpoint as soon as it is labelled, before it promotes.
      set.rw.target = b.port;
      await ready(b, "db-1 to be promoted");
      const outageMs = performance.now() - outageStart;

      // 3. The old primary streams from the new one on its timeline.
      await ready(a, "db-0 to rejoin as a standby");
      // A clean switchover leaves the old primary's WAL a prefix of the new timeline.
      assert.match(await a.tail(200), /no rewind required/);
      await waitUntil("more writes after the switchover", () => committed.length >= 60 + failures);
      writing = false;
      await writer;

      const rows = (await b.sql("select id from t order by id")).split("\n").map(Number);
      const present = new Set(rows);
      const lost = committed.filter((id) => !present.has(id));
      assert.deepEqual(lost, [], "committed rows missing after the switchover");
      assert.equal(await b.sql("select timeline_id from pg_control_checkpoint()"), "2");
      await waitUntil(
        "the old primary to have every row",
        async () => (await a.sql("select count(*) from t")) === String(rows.length),
      );
      console.log(
        `switchover: ${committed.length} rows committed, ${failures} writes refused, ` +
          `write outage ${outageMs.toFixed(0)} ms (machine shared; not a benchmark)`,
      );
    });
  },
});

Deno.test({
  name: "instance script: synchronous mode follows the primary's annotation",
  ignore,
  async fn() {
    await withInstances(async (set) => {
      const [a] = await primaryAndStandby(set);
      await a.annotate({ [REPLICAS_ANNOTATION]: "2", [SYNCHRONOUS_ANNOTATION]: "1" });
      await waitUntil(
        "db-1 to be a synchronous standby",
        async () => (await a.sql("select sync_state from pg_stat_replication")) === "quorum",
      );
      assert.equal(await a.sql("show synchronous_standby_names"), 'ANY 1 ("db-1")');
      await set.sql(set.rw.port, "insert into t values (1)");
      await a.annotate({ [SYNCHRONOUS_ANNOTATION]: undefined });
      await waitUntil(
        "asynchronous again",
        async () => (await a.sql("select sync_state from pg_stat_replication")) === "async",
      );
    });
  },
});

Deno.test({
  name: "instance script: a target that has not replayed the old primary's WAL refuses to promote",
  ignore,
  async fn() {
    await withInstances(async (set) => {
      set.instances[1].env.PGOP_PROMOTE_TIMEOUT = "1";
      const [, b] = await primaryAndStandby(set);
      await b.annotate({ [PROMOTE_AFTER_LSN_ANNOTATION]: "FF/0" });
      await b.label("primary");
      await waitUntil(
        "the refusal in the log",
        async () => (await b.tail()).includes("refusing to promote"),
      );
      assert.equal(await b.sql("select pg_is_in_recovery()"), "t");
      assert.equal(await b.probe("ready"), false);
      // The refusal holds across a restart: a late promotion can never race pgop's rollback.
      assert.equal((await b.process?.stop(20_000))?.code, 0);
      b.start();
      await waitUntil(
        "the remembered refusal in the log",
        async () => (await b.tail()).includes("refused to promote at FF/0 before"),
      );
      // The script says so before it starts PostgreSQL: wait for it to answer, as a standby.
      await waitUntil(
        "db-1 answering, in recovery",
        async () => (await b.sql("select pg_is_in_recovery()")) === "t",
      );
    });
  },
});

Deno.test({
  name: "instance script: scaling 2 → 1 drops the standby's slot, 1 → 2 brings it back streaming",
  ignore,
  async fn() {
    await withInstances(async (set) => {
      const [a, b] = await primaryAndStandby(set);
      await scaleAway(set, a, b);
      await set.sql(set.rw.port, "insert into t values (2)");
      // Scale up again: the slot comes back, db-1 starts from its kept volume and catches up.
      await a.annotate({ [REPLICAS_ANNOTATION]: "2" });
      b.start();
      await ready(b, "db-1 to stream again");
      await waitUntil(
        "every row on db-1",
        async () => (await b.sql("select string_agg(id::text, ',' order by id) from t")) === "1,2",
      );
    });
  },
});

Deno.test({
  name: "instance script: a standby whose WAL is gone is cloned again and catches up",
  ignore,
  async fn() {
    await withInstances(async (set) => {
      // Long enough for its WAL receiver to be refused at least once before it gives up (the
      // default is 120 s): with 2 s a fast machine gave up while the standby was still starting.
      set.instances[1].env.PGOP_RECLONE_AFTER = "10";
      const [a, b] = await primaryAndStandby(set);
      await scaleAway(set, a, b);
      // The primary recycles the WAL the standby would need.
      for (let id = 2; id <= 4; id++) {
        await set.sql(set.rw.port, `insert into t values (${id})`);
        await set.sql(set.rw.port, "select pg_switch_wal()");
        await set.sql(set.rw.port, "checkpoint");
      }
      // Scaled up again: its old data cannot stream any more, so it is cloned afresh.
      await a.annotate({ [REPLICAS_ANNOTATION]: "2" });
      b.start();
      await waitUntil(
        "db-1 to give up on its data",
        async () => (await b.tail(100)).includes("cloning again"),
        { timeoutMs: 60_000 },
      );
      assert.match(await b.tail(200), /has already been removed/, "gave up for the right reason");
      await waitUntil(
        "db-1's container to exit",
        async () => (await b.process?.wait()) !== undefined,
      );
      b.start();
      await ready(b, "db-1 cloned and streaming");
      assert.equal(await b.sql("select string_agg(id::text, ',' order by id) from t"), "1,2,3,4");
    });
  },
});
