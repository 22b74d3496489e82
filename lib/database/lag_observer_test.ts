import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.d.ts";
import { FakeClock, flushMicrotasks } from "../../tests/support/fake_clock.ts";
import { IndexedStore } from "../cache/store.ts";
import { LAG_STEP_BYTES, LagObservations } from "./lag_observations.ts";
import { LagObserver, type LagObserverOptions } from "./lag_observer.ts";
import { NotPrimaryError, type ProbeTarget, type StandbyState } from "./replication_probe.ts";
import { ROLE_LABEL } from "./roles.ts";
import { type Database, LABEL_INSTANCE } from "./types.ts";

const INTERVAL = 30_000;

function database(name: string, replicas: number): Database {
  return {
    metadata: { name, namespace: "ns" },
    spec: { image: "pg", replicas, databaseName: "d", username: "u", storage: { size: "1Gi" } },
    status: { primary: `${name}-0` },
  };
}

function pod(db: string, ordinal: number, o: { ready?: boolean; ip?: string } = {}): Pod {
  return {
    metadata: {
      name: `${db}-${ordinal}`,
      namespace: "ns",
      labels: { [LABEL_INSTANCE]: db, [ROLE_LABEL]: ordinal === 0 ? "primary" : "replica" },
    },
    status: {
      conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }],
      ...(o.ip === "" ? {} : { podIP: o.ip ?? `10.9.0.${ordinal}` }),
    },
  };
}

/** An observer over `dbs` and `pods`, whose probe records each look and answers `answer(host)`. */
function setup(
  dbs: Database[],
  pods: Pod[],
  options: Partial<LagObserverOptions> & {
    answer?: (t: ProbeTarget) => StandbyState[] | Promise<StandbyState[]>;
  } = {},
) {
  const clock = new FakeClock();
  const databases = new IndexedStore<Database>();
  for (const db of dbs) databases.upsert(db);
  const podStore = new IndexedStore<Pod>();
  for (const p of pods) podStore.upsert(p);
  const observations = new LagObservations();
  const looks: { at: number; target: ProbeTarget }[] = [];
  let random = 0;
  const observer = new LagObserver({
    databases,
    pods: podStore,
    observations,
    password: (db) => Promise.resolve(`pw-of-${db.metadata?.name}`),
    intervalMs: INTERVAL,
    clock,
    // 0, 0.1, 0.2, …: first looks spread over the interval in creation order.
    random: () => (random++ % 10) / 10,
    probe: (target) => {
      looks.push({ at: clock.now(), target });
      return Promise.resolve(options.answer?.(target) ?? []);
    },
    ...options,
  });
  return { clock, databases, observations, looks, observer };
}

Deno.test("LagObserver asks each replicated, ready primary once per interval, spread at random", async () => {
  const dbs = [database("a", 3), database("b", 2), database("single", 1), database("c", 2)];
  const pods = [
    pod("a", 0),
    pod("a", 1),
    pod("b", 0, { ip: "10.9.1.0" }),
    pod("single", 0),
    pod("c", 0, { ready: false }),
  ];
  const { clock, looks, observer } = setup(dbs, pods);
  const stop = new AbortController();
  const running = observer.run(stop.signal);
  await clock.advance(3 * INTERVAL);
  stop.abort();
  await running;
  // "a" first due at 0, "b" at 0.1 × 30 s (rounded up to the next sweep); "single" and "c" never.
  assert.deepEqual(
    looks.map(({ at, target }) => [at, target.host]),
    [
      [0, "10.9.0.0"],
      [3_000, "10.9.1.0"],
      [30_000, "10.9.0.0"],
      [33_000, "10.9.1.0"],
      [
        60_000,
        "10.9.0.0",
      ],
      [63_000, "10.9.1.0"],
      [90_000, "10.9.0.0"],
    ],
  );
  const [first] = looks;
  assert.deepEqual(
    { ...first.target, timeoutMs: 0 },
    {
      host: "10.9.0.0",
      port: 5432,
      user: "pgop_replication",
      password: "pw-of-a",
      database: "postgres",
      timeoutMs: 0,
    },
  );
  assert.equal(clock.pendingTimers, 0, "nothing left running");
});

Deno.test("LagObserver keeps at most `concurrency` looks in flight and starts few per second", async () => {
  const names = Array.from({ length: 20 }, (_, i) => `db${i}`);
  const release: (() => void)[] = [];
  const { observer, looks, clock } = setup(
    names.map((n) => database(n, 2)),
    names.map((n) => pod(n, 0)),
    {
      random: () => 0,
      concurrency: 3,
      startsPerSecond: 2,
      answer: () => new Promise((resolve) => release.push(() => resolve([]))),
    },
  );
  const signal = new AbortController().signal;
  observer.sweep(signal);
  await flushMicrotasks();
  assert.equal(looks.length, 2, "two starts per second");
  await clock.advance(1_000);
  observer.sweep(signal);
  await flushMicrotasks();
  assert.equal(observer.inFlight, 3, "no more than three in flight");
  assert.equal(looks.length, 3);
  for (const r of release.splice(0)) r();
  await flushMicrotasks();
  assert.equal(observer.inFlight, 0);
  observer.sweep(signal);
  await flushMicrotasks();
  assert.equal(looks.length, 5);
  // The most overdue go first: every Database is looked at before any twice.
  for (let i = 0; i < 8; i++) {
    await clock.advance(1_000);
    for (const r of release.splice(0)) r();
    await flushMicrotasks();
    observer.sweep(signal);
  }
  await flushMicrotasks();
  assert.equal(new Set(looks.map((l) => l.target.password)).size, 20);
  assert.equal(looks.length, 20);
});

Deno.test("LagObserver changes an observation only when the lag moved, and forgets what went", async () => {
  let lag = 1_000;
  const { observer, observations, databases, clock } = setup(
    [database("a", 2)],
    [pod("a", 0)],
    { random: () => 0, answer: () => [{ name: "a-1", streaming: true, lagBytes: lag }] },
  );
  const events: string[] = [];
  observations.addHandler({
    onAdd: () => events.push("add"),
    onUpdate: () => events.push("update"),
    onDelete: () => events.push("delete"),
  });
  const signal = new AbortController().signal;
  const look = async (advance = INTERVAL) => {
    observer.sweep(signal);
    await flushMicrotasks();
    await clock.advance(advance);
  };
  await look();
  lag = 200_000;
  await look();
  assert.deepEqual(events, ["add"], "a wiggle below 1 MiB is not news");
  assert.equal(observations.store.get("ns/a")?.lagBytes["a-1"], 1_000);
  lag = 2 * LAG_STEP_BYTES;
  await look();
  assert.deepEqual(events, ["add", "update"]);
  databases.upsert(database("a", 1));
  await look();
  assert.deepEqual(events, ["add", "update", "delete"], "scaled to one replica: forgotten");
  assert.equal(observations.store.size, 0);
});

Deno.test("LagObserver survives failing looks and a missing password, and retries next interval", async () => {
  let fail = true;
  const secret: { password?: string } = {};
  const results: string[] = [];
  const { observer, observations, looks, clock } = setup([database("a", 2)], [pod("a", 0)], {
    random: () => 0,
    onLook: (result) => results.push(result),
    password: () => Promise.resolve(secret.password),
    answer: () => {
      if (fail) throw new Error("connection refused");
      return [{ name: "a-1", streaming: true, lagBytes: 0 }];
    },
  });
  const signal = new AbortController().signal;
  observer.sweep(signal);
  await flushMicrotasks();
  assert.equal(looks.length, 0, "no Secret yet: no connection");
  secret.password = "pw";
  await clock.advance(INTERVAL);
  observer.sweep(signal);
  await flushMicrotasks();
  assert.equal(looks.length, 1);
  assert.equal(observations.store.size, 0);
  observer.sweep(signal);
  await clock.advance(INTERVAL - 1);
  observer.sweep(signal);
  assert.equal(looks.length, 1, "not again within the interval after a failure");
  fail = false;
  await clock.advance(1);
  observer.sweep(signal);
  await flushMicrotasks();
  assert.equal(looks.length, 2);
  assert.deepEqual(observations.store.get("ns/a")?.lagBytes, { "a-1": 0 });
  assert.deepEqual(results, ["error", "ok"]);
});

Deno.test("LagObserver counts a pod labelled primary that is still in recovery apart", async () => {
  const results: string[] = [];
  const { observer, observations } = setup([database("a", 2)], [pod("a", 0)], {
    random: () => 0,
    onLook: (result) => results.push(result),
    answer: () => {
      throw new NotPrimaryError("recovery is in progress");
    },
  });
  observer.sweep(new AbortController().signal);
  await flushMicrotasks();
  assert.deepEqual(results, ["not_primary"]);
  assert.equal(observations.store.size, 0);
});

Deno.test("LagObserver rejects an interval that is not positive", () => {
  assert.throws(() => setup([], [], { intervalMs: 0 }), RangeError);
});
