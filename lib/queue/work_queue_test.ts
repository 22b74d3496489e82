import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../tests/support/fake_clock.ts";
import { FifoWorkQueue } from "./work_queue.ts";
import {
  type WorkQueueMetrics,
  type WorkQueueMetricsProvider,
  type WorkQueueProbe,
} from "./queue_metrics.ts";

/** Takes every key currently queued, in order, finishing each. */
async function drain(q: FifoWorkQueue<string>): Promise<string[]> {
  const keys: string[] = [];
  while (q.len > 0) {
    const key = await q.get();
    assert.ok(key !== undefined);
    keys.push(key);
    q.done(key);
  }
  return keys;
}

Deno.test("FifoWorkQueue.add() de-duplicates waiting keys and keeps FIFO order", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  for (const key of ["a", "b", "a", "c", "b"]) q.add(key);
  assert.equal(q.len, 3);
  assert.deepEqual(await drain(q), ["a", "b", "c"]);
});

Deno.test("FifoWorkQueue.get() never hands one key to two workers at once", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  q.add("a");
  assert.equal(await q.get(), "a");
  q.add("a");
  assert.equal(q.len, 0, "a key being processed is not queued");
  let second: string | undefined = "unset";
  const waiting = q.get().then((key) => (second = key));
  await flushMicrotasks();
  assert.equal(second, "unset", "the second worker waits");
  q.done("a");
  await waiting;
  assert.equal(second, "a");
});

Deno.test("FifoWorkQueue.done() re-queues a key added during processing exactly once", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  q.add("a");
  assert.equal(await q.get(), "a");
  q.add("a");
  q.add("a");
  q.add("a");
  q.done("a");
  assert.equal(q.len, 1);
  assert.equal(await q.get(), "a");
  q.done("a");
  assert.equal(q.len, 0);
  q.done("a");
  assert.equal(q.len, 0, "done() of a key not being processed is ignored");
});

Deno.test("FifoWorkQueue.get() wakes waiting workers in order with distinct keys", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  const first = q.get();
  const second = q.get();
  q.add("x");
  q.add("y");
  assert.deepEqual(await Promise.all([first, second]), ["x", "y"]);
});

Deno.test("FifoWorkQueue.get() resolves undefined on abort and loses no key", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  const controller = new AbortController();
  const aborted = q.get(controller.signal);
  const other = q.get();
  controller.abort();
  assert.equal(await aborted, undefined);
  q.add("a");
  assert.equal(await other, "a");
  assert.equal(await q.get(AbortSignal.abort()), undefined);
});

Deno.test("FifoWorkQueue serves high priority first, FIFO within a priority", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  q.add("n1");
  q.add("h1", { priority: "high" });
  q.add("n2", { priority: "normal" });
  q.add("h2", { priority: "high" });
  assert.deepEqual(await drain(q), ["h1", "h2", "n1", "n2"]);
});

Deno.test("FifoWorkQueue.add() promotes a waiting key and never demotes one", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  q.add("n1");
  q.add("n2");
  q.add("n3");
  q.add("h1", { priority: "high" });
  q.add("n3", { priority: "high" });
  q.add("h1");
  assert.equal(q.len, 4);
  assert.deepEqual(await drain(q), ["h1", "n3", "n1", "n2"]);
  let got: string | undefined = "unset";
  const waiting = q.get().then((key) => (got = key));
  await flushMicrotasks();
  assert.equal(got, "unset", "the promoted key's old slot is not served again");
  q.shutDown();
  await waiting;
});

Deno.test("FifoWorkQueue keeps the highest priority of adds made during processing", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  q.add("a");
  assert.equal(await q.get(), "a");
  q.add("a");
  q.add("b");
  q.add("a", { priority: "high" });
  q.done("a");
  assert.deepEqual(await drain(q), ["a", "b"]);
});

Deno.test("FifoWorkQueue stays ordered across thousands of keys and promotions", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  const n = 5000;
  for (let i = 0; i < n; i++) q.add(`k${i}`);
  for (let i = 0; i < n; i += 100) q.add(`k${i}`, { priority: "high" });
  const expected = [
    ...Array.from({ length: n / 100 }, (_, i) => `k${i * 100}`),
    ...Array.from({ length: n }, (_, i) => `k${i}`).filter((_, i) => i % 100 !== 0),
  ];
  assert.deepEqual(await drain(q), expected);
});

Deno.test("FifoWorkQueue.shutDown() wakes workers, drops keys and ignores adds", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  const waiting = q.get();
  q.shutDown();
  assert.equal(await waiting, undefined);
  q.add("a");
  assert.equal(q.len, 0);
  assert.equal(q.shuttingDown, true);
  assert.equal(await q.get(), undefined);

  const r = new FifoWorkQueue<string>({ clock: new FakeClock() });
  r.add("a");
  r.add("b");
  assert.equal(await r.get(), "a");
  r.add("a");
  r.shutDown();
  assert.equal(r.len, 0);
  assert.equal(await r.get(), undefined);
  r.done("a");
  assert.equal(r.len, 0, "a key added during processing is not re-queued after shut-down");
});

Deno.test("FifoWorkQueue.shutDownWithDrain() waits until processing keys are done", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  q.add("a");
  q.add("b");
  const a = await q.get();
  const b = await q.get();
  assert.ok(a !== undefined && b !== undefined);
  let drained = false;
  const draining = q.shutDownWithDrain().then(() => (drained = true));
  q.done(a);
  await flushMicrotasks();
  assert.equal(drained, false);
  q.done(b);
  await draining;
  assert.equal(drained, true);
  await new FifoWorkQueue<string>().shutDownWithDrain();
});

Deno.test("FifoWorkQueue.shutDownWithDrain() rejects when its signal aborts", async () => {
  const q = new FifoWorkQueue<string>({ clock: new FakeClock() });
  q.add("a");
  await q.get();
  const controller = new AbortController();
  const draining = q.shutDownWithDrain(controller.signal);
  controller.abort(new Error("gave up"));
  await assert.rejects(draining, /gave up/);
});

class RecordingMetrics implements WorkQueueMetricsProvider, WorkQueueMetrics {
  readonly events: string[] = [];
  probe: WorkQueueProbe | undefined;
  forQueue(probe: WorkQueueProbe): WorkQueueMetrics {
    this.probe = probe;
    return this;
  }
  add(key: string): void {
    this.events.push(`add ${key}`);
  }
  depth(n: number): void {
    this.events.push(`depth ${n}`);
  }
  get(key: string, queuedMs: number): void {
    this.events.push(`get ${key} ${queuedMs}`);
  }
  done(key: string, workMs: number): void {
    this.events.push(`done ${key} ${workMs}`);
  }
  retry(key: string): void {
    this.events.push(`retry ${key}`);
  }
}

Deno.test("FifoWorkQueue reports adds, depth, latency and work time to its metrics", async () => {
  const clock = new FakeClock();
  const metrics = new RecordingMetrics();
  const q = new FifoWorkQueue<string>({ clock, metrics, name: "test" });
  assert.equal(metrics.probe?.name, "test");
  q.add("a");
  q.add("a");
  q.add("b");
  await clock.advance(30);
  assert.equal(await q.get(), "a");
  await clock.advance(10);
  assert.equal(await q.get(), "b");
  await clock.advance(5);
  assert.equal(metrics.probe?.unfinishedWorkMs(), 15 + 5);
  assert.equal(metrics.probe?.longestRunningMs(), 15);
  q.done("a");
  q.done("b");
  assert.equal(metrics.probe?.longestRunningMs(), 0);
  assert.deepEqual(metrics.events, [
    "add a",
    "depth 1",
    "add b",
    "depth 2",
    "get a 30",
    "depth 1",
    "get b 40",
    "depth 0",
    "done a 15",
    "done b 5",
  ]);
});

Deno.test("FifoWorkQueue rejects bad options and priorities", () => {
  assert.throws(() => new FifoWorkQueue({ metrics: new RecordingMetrics() }), RangeError);
  const q = new FifoWorkQueue<string>();
  // @ts-expect-error: an unknown priority is rejected at run time too
  assert.throws(() => q.add("a", { priority: "urgent" }), RangeError);
});
