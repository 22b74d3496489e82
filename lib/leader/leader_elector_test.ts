import assert from "node:assert/strict";
import type { Lease } from "kubernetes-types/coordination/v1.d.ts";
import type { Clock } from "../clock.ts";
import { TransportError } from "../kube/errors.ts";
import { FakeClock, flushMicrotasks } from "../../tests/support/fake_clock.ts";
import { type MemoryLeaseClient, MemoryLeases } from "../../tests/support/memory_leases.ts";
import { type LeaderElectorOptions, LeadershipLostError } from "./elector_options.ts";
import { LeaderElector } from "./leader_elector.ts";

/** One candidate process; `events` are "<virtual ms> <what>". */
interface Candidate {
  readonly elector: LeaderElector;
  readonly client: MemoryLeaseClient;
  readonly events: string[];
  readonly stop: AbortController;
  readonly done: Promise<void>;
  leading?: AbortSignal;
}

function candidate(
  store: MemoryLeases,
  clock: FakeClock,
  identity: string,
  options: Partial<LeaderElectorOptions> = {},
): Candidate {
  const client = store.client();
  const events: string[] = [];
  const log = (what: string) => events.push(`${clock.now()} ${what}`);
  const stop = new AbortController();
  const c: Partial<Candidate> & { events: string[] } = { client, events, stop };
  const elector = new LeaderElector({
    client,
    namespace: "ns",
    name: "pgop",
    identity,
    clock,
    random: () => 0,
    onStartedLeading: (signal) => {
      c.leading = signal;
      log("started");
      signal.addEventListener("abort", () => log("aborted"));
    },
    onStoppedLeading: () => log("stopped"),
    onNewLeader: (holder) => log(`leader ${holder}`),
    metrics: { leaderOn: () => log("on"), leaderOff: () => log("off") },
    ...options,
  });
  return Object.assign(c, { elector, done: elector.run(stop.signal) }) as Candidate;
}

/** Advances in small steps, letting every request chain finish at the instant it started. */
async function advance(clock: FakeClock, ms: number, each?: () => void): Promise<void> {
  for (let left = ms; left > 0; left -= 250) {
    await clock.advance(Math.min(250, left));
    await flushMicrotasks(200);
    each?.();
  }
}

async function stopAll(clock: FakeClock, ...candidates: Candidate[]): Promise<void> {
  for (const c of candidates) c.stop.abort();
  await advance(clock, 20_000);
  await Promise.all(candidates.map((c) => c.done));
}

function lease(store: MemoryLeases): Lease {
  const stored = store.read("ns", "pgop");
  assert.ok(stored, "the Lease exists");
  return stored;
}

const refused = () => {
  throw new TransportError("PUT /apis/coordination.k8s.io/v1/…", new Error("Connection refused"));
};

Deno.test("LeaderElector elects exactly one of two candidates over the same Lease", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  const a = candidate(store, clock, "a");
  const b = candidate(store, clock, "b");
  await advance(clock, 60_000, () => {
    assert.equal([a, b].filter((c) => c.elector.isLeader()).length, 1);
  });
  const started = [...a.events, ...b.events].filter((e) => e.endsWith("started"));
  assert.deepEqual(started, ["0 started"]);
  assert.equal(lease(store).spec?.leaseTransitions, 0);
  await stopAll(clock, a, b);
});

Deno.test("LeaderElector renews with one PUT per retry period and no reads", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  const a = candidate(store, clock, "a");
  await advance(clock, 1_000);
  const first = lease(store).spec?.renewTime;
  const before = a.client.requests.length;
  await advance(clock, 59_000);
  assert.ok(a.elector.isLeader());
  const verbs = a.client.requests.slice(before).map((r) => r.verb);
  assert.deepEqual(verbs, Array(30).fill("update"));
  assert.notEqual(lease(store).spec?.renewTime, first);
  assert.equal(lease(store).spec?.holderIdentity, "a");
  await stopAll(clock, a);
});

Deno.test("LeaderElector steps down by renewDeadline when renewals fail; the standby waits leaseDuration", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  const a = candidate(store, clock, "a");
  await advance(clock, 1_000);
  const b = candidate(store, clock, "b");
  await advance(clock, 4_000); // a renewed at 2 s and 4 s; b last observed a change at 5 s
  a.client.intercept = refused;
  await advance(clock, 30_000, () => {
    assert.ok(!(a.elector.isLeader() && b.elector.isLeader()), "never two leaders");
  });
  // a's round began at 6 s; 6 s + renewDeadline.
  assert.deepEqual(a.events.slice(-3), ["16000 aborted", "16000 off", "16000 stopped"]);
  assert.ok(a.leading?.reason instanceof LeadershipLostError);
  await a.done;
  // b observed the last change at 5 s; 5 s + leaseDuration = 20 s, next try at 21 s.
  assert.deepEqual(b.events, [
    "1000 off",
    "1000 leader a",
    "21000 leader b",
    "21000 on",
    "21000 started",
  ]);
  assert.equal(lease(store).spec?.holderIdentity, "b");
  assert.equal(lease(store).spec?.leaseTransitions, 1);
  await stopAll(clock, b);
});

Deno.test("LeaderElector.holdsLease() fences writes after a pause, before any overdue timer fires", async () => {
  // A paused process (SIGSTOP, a frozen VM): monotonic time jumps while no timer has run yet.
  const fake = new FakeClock();
  let pausedMs = 0;
  const clock: Clock = {
    now: () => fake.now() + pausedMs,
    wallNow: () => fake.wallNow() + pausedMs,
    setTimer: (fn, ms) => fake.setTimer(fn, ms),
    sleep: (ms, signal) => fake.sleep(ms, signal),
  };
  const store = new MemoryLeases();
  const a = candidate(store, fake, "a", { clock });
  assert.equal(a.elector.holdsLease(), false, "not before it leads");
  await advance(fake, 5_000); // renewed every 2 s, last at 4 s
  assert.equal(a.elector.holdsLease(), true);
  pausedMs = 8_999; // 9.999 s since that renewal: still within the 10 s renew deadline
  assert.equal(a.elector.holdsLease(), true);
  pausedMs = 9_000;
  assert.equal(a.elector.holdsLease(), false);
  // Stepped down on the spot, synchronously: the leading signal aborted, nothing else ran.
  assert.ok(a.leading?.aborted);
  assert.ok(a.leading?.reason instanceof LeadershipLostError);
  assert.deepEqual(a.events.slice(-3), ["5000 aborted", "5000 off", "5000 stopped"]);
  assert.ok(!a.elector.isLeader());
  await stopAll(fake, a);
});

Deno.test("LeaderElector steps down at the deadline even while a renewal hangs", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  const a = candidate(store, clock, "a");
  await advance(clock, 3_000);
  a.client.intercept = () => new Promise(() => {});
  await advance(clock, 11_000);
  assert.ok(!a.elector.isLeader());
  assert.deepEqual(a.events.slice(-3), ["14000 aborted", "14000 off", "14000 stopped"]);
  let finished = false;
  void a.done.then(() => (finished = true));
  await advance(clock, 9_750);
  assert.ok(!finished, "the release attempt waits up to renewDeadline");
  await advance(clock, 250);
  assert.ok(finished);
});

Deno.test("LeaderElector releases after its controllers stopped; the standby takes over at its next try", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  const a = candidate(store, clock, "a", {
    onStartedLeading: (signal) =>
      new Promise((resolve) => {
        signal.addEventListener("abort", () => {
          a.events.push(`${clock.now()} aborted`);
          clock.setTimer(() => {
            a.events.push(`${clock.now()} drained`);
            resolve();
          }, 500);
        });
      }),
  });
  a.client.intercept = (request) => {
    if (request.object?.spec?.holderIdentity === "") a.events.push(`${clock.now()} release`);
  };
  await advance(clock, 1_000);
  const b = candidate(store, clock, "b");
  await advance(clock, 4_500);
  a.stop.abort();
  await advance(clock, 500);
  await a.done;
  assert.deepEqual(a.events.slice(-5), [
    "5500 aborted",
    "5500 off",
    "5500 stopped",
    "6000 drained",
    "6000 release",
  ]);
  assert.ok(!a.elector.isLeader());
  const released = lease(store).spec;
  assert.equal(released?.holderIdentity, "");
  assert.equal(released?.leaseDurationSeconds, 1);
  assert.equal(released?.leaseTransitions, 0);
  await advance(clock, 1_000);
  assert.ok(b.elector.isLeader());
  assert.deepEqual(b.events.slice(-2), ["7000 on", "7000 started"]);
  assert.equal(lease(store).spec?.leaseTransitions, 1);
  await stopAll(clock, b);
});

Deno.test("LeaderElector does not release a Lease someone else wrote since", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  const a = candidate(store, clock, "a");
  await advance(clock, 3_000);
  store.write({ ...lease(store), spec: { holderIdentity: "c", leaseDurationSeconds: 15 } });
  a.stop.abort();
  await advance(clock, 1_000);
  await a.done;
  const last = a.client.requests.at(-1);
  assert.equal(last?.object?.spec?.holderIdentity, "", "a tried to release");
  assert.equal(lease(store).spec?.holderIdentity, "c", "the conflicting write was not overwritten");
});

Deno.test("LeaderElector steps down at once when it observes another holder", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  const a = candidate(store, clock, "a");
  await advance(clock, 3_000);
  store.write({ ...lease(store), spec: { holderIdentity: "c", leaseDurationSeconds: 15 } });
  await advance(clock, 1_000);
  assert.deepEqual(a.events.slice(-4), [
    "4000 leader c",
    "4000 aborted",
    "4000 off",
    "4000 stopped",
  ]);
  assert.deepEqual(a.client.requests.slice(-2).map((r) => r.verb), ["update", "get"]);
  await a.done;
  assert.equal(a.client.requests.at(-1)?.verb, "get", "no release of c's Lease");
  assert.equal(lease(store).spec?.holderIdentity, "c");
});

Deno.test("LeaderElector keeps leading after a 409 on its optimistic renewal", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  const a = candidate(store, clock, "a");
  await advance(clock, 3_000);
  const current = lease(store);
  store.write({ ...current, metadata: { ...current.metadata, annotations: { note: "kept" } } });
  const before = a.client.requests.length;
  await advance(clock, 1_000);
  assert.deepEqual(a.client.requests.slice(before).map((r) => r.verb), ["update", "get", "update"]);
  assert.ok(a.elector.isLeader());
  assert.equal(lease(store).metadata?.annotations?.note, "kept");
  assert.equal(lease(store).spec?.renewTime, a.client.requests.at(-1)?.object?.spec?.renewTime);
  await stopAll(clock, a);
});

const ghostLease = (renewTime: string): Lease => ({
  metadata: { namespace: "ns", name: "pgop" },
  spec: { holderIdentity: "ghost", leaseDurationSeconds: 15, renewTime, leaseTransitions: 4 },
});

Deno.test("LeaderElector does not take over when a 409 shows the holder renewed meanwhile", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  store.write(ghostLease("2026-01-01T00:00:00.000000Z"));
  const a = candidate(store, clock, "a");
  a.client.intercept = (request) => {
    if (request.verb !== "update") return;
    store.write(ghostLease("2026-01-01T00:00:16.000000Z"));
    a.client.intercept = undefined;
  };
  await advance(clock, 16_000); // observed at 0 s: expired after 15 s, tried at 16 s, 409
  assert.ok(!a.elector.isLeader());
  assert.equal(lease(store).spec?.renewTime, "2026-01-01T00:00:16.000000Z");
  await advance(clock, 30_000); // the change was observed at 18 s: 18 s + 15 s, next try at 34 s
  assert.deepEqual(a.events.slice(-2), ["34000 on", "34000 started"]);
  assert.equal(lease(store).spec?.leaseTransitions, 5);
  await stopAll(clock, a);
});

for (const renewTime of ["2999-01-01T00:00:00.000000Z", "2000-01-01T00:00:00.000000Z"]) {
  Deno.test(`LeaderElector ignores the wall clock: renewTime ${renewTime} expires after leaseDuration`, async () => {
    const clock = new FakeClock();
    const store = new MemoryLeases();
    store.write(ghostLease(renewTime));
    const a = candidate(store, clock, "a");
    await advance(clock, 14_000);
    assert.ok(!a.elector.isLeader());
    await advance(clock, 2_000);
    assert.deepEqual(a.events.slice(-2), ["16000 on", "16000 started"]);
    await stopAll(clock, a);
  });
}

Deno.test("LeaderElector never takes over while the holder keeps changing the record, whatever its times", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  store.write(ghostLease("2000-01-01T00:00:00.000000Z"));
  const skewed: Clock = {
    now: () => clock.now(),
    wallNow: () => clock.wallNow() + 365 * 24 * 3_600_000, // a year ahead
    setTimer: (fn, ms) => clock.setTimer(fn, ms),
    sleep: (ms, signal) => clock.sleep(ms, signal),
  };
  const b = candidate(store, clock, "b", { clock: skewed });
  let n = 0;
  await advance(clock, 60_000, () => {
    assert.ok(!b.elector.isLeader());
    // The ghost renews at odd seconds, with renewTimes far in b's past.
    if (clock.now() % 2_000 === 1_000) {
      store.write(ghostLease(`2000-01-01T00:00:${String(++n % 60).padStart(2, "0")}.000000Z`));
    }
  });
  // The last change (59 s) was observed at 60 s: it expires after 75 s, next try at 76 s.
  await advance(clock, 18_000);
  assert.deepEqual(b.events.slice(-2), ["76000 on", "76000 started"]);
  assert.equal(lease(store).spec?.leaseTransitions, 5);
  await stopAll(clock, b);
});

Deno.test("LeaderElector.run() rejects a second concurrent run", async () => {
  const clock = new FakeClock();
  const a = candidate(new MemoryLeases(), clock, "a");
  await assert.rejects(a.elector.run(new AbortController().signal), /already running/);
  await stopAll(clock, a);
});

Deno.test("LeaderElector.run() returns without a request when aborted before it starts", async () => {
  const client = new MemoryLeases().client();
  const elector = new LeaderElector({
    client,
    namespace: "ns",
    name: "pgop",
    identity: "a",
    clock: new FakeClock(),
    onStartedLeading: () => assert.fail("must not lead"),
    onStoppedLeading: () => assert.fail("must not stop"),
  });
  await elector.run(AbortSignal.abort());
  assert.equal(client.requests.length, 0);
  assert.ok(!elector.isLeader());
});

Deno.test("LeaderElector leads on when onStartedLeading throws, and still releases", async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  const a = candidate(store, clock, "a", {
    onStartedLeading: () => {
      throw new Error("boom");
    },
  });
  await advance(clock, 5_000);
  assert.ok(a.elector.isLeader());
  await stopAll(clock, a);
  assert.equal(lease(store).spec?.holderIdentity, "");
});
