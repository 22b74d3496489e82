import assert from "node:assert/strict";
import type { EventHandler } from "../cache/reflector_options.ts";
import { IndexedStore } from "../cache/store.ts";
import type { KubeObject } from "../kube/types.ts";
import { FakeClock, flushMicrotasks } from "../../tests/support/fake_clock.ts";
import { byControllerOwner } from "./builder.ts";
import { Controller } from "./controller.ts";
import { type Source } from "./controller_options.ts";
import { type ReconcileRequest, TerminalError } from "./reconciler.ts";

/** An informer stand-in: a store plus handlers, driven by the test. */
class TestSource implements Source<KubeObject> {
  readonly resource = "things";
  readonly #store = new IndexedStore<KubeObject>();
  readonly #handlers = new Set<EventHandler<KubeObject>>();
  get store() {
    return this.#store;
  }
  addHandler(h: EventHandler<KubeObject>) {
    this.#handlers.add(h);
    for (const o of this.#store.list()) h.onAdd?.(o);
    return () => void this.#handlers.delete(h);
  }
  put(obj: KubeObject) {
    const old = this.#store.upsert(obj);
    for (const h of this.#handlers) old ? h.onUpdate?.(old, obj) : h.onAdd?.(obj);
  }
}

const thing = (name: string, extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  kind: "Thing",
  metadata: { namespace: "ns", name, resourceVersion: String(Math.random()), ...extra },
});

function harness(
  reconcile: (r: ReconcileRequest, s: AbortSignal) => Promise<unknown>,
  workers = 1,
) {
  const clock = new FakeClock();
  const primary = new TestSource();
  const owned = new TestSource();
  const outcomes: string[] = [];
  const controller = new Controller({
    name: "test",
    primary,
    watches: [{ source: owned, map: byControllerOwner("Thing") }],
    workers,
    clock,
    reconciler: { reconcile: (r, s) => reconcile(r, s) as Promise<void> },
    priority: (obj) => (obj.metadata?.labels?.new ? "high" : "normal"),
    onReconcile: (o) => outcomes.push(o),
    timeSliceMs: 0,
  });
  return { clock, primary, owned, controller, outcomes };
}

Deno.test("Controller reconciles cached objects on start, never-reconciled ones first", async () => {
  const seen: string[] = [];
  const h = harness((r) => Promise.resolve(void seen.push(r.name)));
  h.primary.put(thing("old-1"));
  h.primary.put(thing("old-2"));
  h.primary.put(thing("fresh", { labels: { new: "1" } }));
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  await flushMicrotasks(50);
  assert.deepEqual(seen, ["fresh", "old-1", "old-2"]);
  stop.abort();
  await running;
  assert.deepEqual(h.outcomes, ["success", "success", "success"]);
});

Deno.test("Controller maps owned objects to their controller owner's key", async () => {
  const seen: string[] = [];
  const h = harness((r) => Promise.resolve(void seen.push(`${r.key} ${r.reason}`)));
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  h.owned.put({
    kind: "Secret",
    metadata: {
      namespace: "ns",
      name: "child",
      ownerReferences: [{
        apiVersion: "v1",
        kind: "Thing",
        name: "parent",
        uid: "u",
        controller: true,
      }],
    },
  });
  h.owned.put({ kind: "Secret", metadata: { namespace: "ns", name: "orphan" } });
  await flushMicrotasks(50);
  stop.abort();
  await running;
  assert.deepEqual(seen, ["ns/parent Secret added"]);
});

Deno.test("Controller maps watched objects through their map, filtered by predicate", async () => {
  const seen: string[] = [];
  const clock = new FakeClock();
  const primary = new TestSource();
  const pods = new TestSource();
  const controller = new Controller({
    name: "test",
    primary,
    watches: [{
      source: pods,
      map: (obj: KubeObject) =>
        obj.metadata?.labels?.instance ? `ns/${obj.metadata.labels.instance}` : undefined,
      predicate: (old: KubeObject | undefined, obj: KubeObject | undefined) =>
        old?.metadata?.labels?.state !== obj?.metadata?.labels?.state,
    }],
    clock,
    reconciler: { reconcile: (r) => Promise.resolve(void seen.push(`${r.key} ${r.reason}`)) },
    timeSliceMs: 0,
  });
  const stop = new AbortController();
  const running = controller.run(stop.signal);
  const pod = (state: string) => ({
    kind: "Pod",
    metadata: { namespace: "ns", name: "p-0", labels: { instance: "p", state } },
  });
  pods.put(pod("a"));
  await flushMicrotasks(50);
  pods.put(pod("a"));
  await flushMicrotasks(50);
  pods.put(pod("b"));
  pods.put({ kind: "Pod", metadata: { namespace: "ns", name: "unlabelled" } });
  await flushMicrotasks(50);
  stop.abort();
  await running;
  assert.deepEqual(seen, ["ns/p Pod added", "ns/p Pod updated"]);
});

Deno.test("Controller retries errors with backoff, and not terminal errors", async () => {
  let calls = 0;
  const h = harness((r) => {
    calls++;
    if (r.name === "bad") return Promise.reject(new TerminalError("InvalidSpec", "no"));
    return calls < 3 ? Promise.reject(new Error("flaky")) : Promise.resolve();
  });
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  h.primary.put(thing("flaky"));
  await flushMicrotasks(50);
  assert.equal(calls, 1);
  await h.clock.advance(5); // first backoff step: 5 ms
  assert.equal(calls, 2);
  await h.clock.advance(10); // second: 10 ms
  assert.equal(calls, 3);
  h.primary.put(thing("bad"));
  await flushMicrotasks(50);
  await h.clock.advance(60_000);
  stop.abort();
  await running;
  assert.deepEqual(h.outcomes, ["error", "error", "success", "terminal"]);
});

Deno.test("Controller honours requeueAfterMs", async () => {
  let calls = 0;
  const h = harness(() => Promise.resolve(++calls === 1 ? { requeueAfterMs: 1000 } : {}));
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  h.primary.put(thing("a"));
  await flushMicrotasks(50);
  await h.clock.advance(999);
  assert.equal(calls, 1);
  await h.clock.advance(1);
  assert.equal(calls, 2);
  stop.abort();
  await running;
  assert.deepEqual(h.outcomes, ["requeue_after", "success"]);
});

Deno.test("Controller lets in-flight reconciles finish on stop, or aborts them with drainMs 0", async () => {
  for (const drainMs of [10_000, 0]) {
    let aborted = false;
    const release = Promise.withResolvers<void>();
    const h = harness(async (_r, signal) => {
      signal.addEventListener("abort", () => (aborted = true));
      await release.promise;
    });
    const stop = new AbortController();
    h.primary.put(thing("slow"));
    const running = h.controller.run(stop.signal, { drainMs });
    await flushMicrotasks(50);
    stop.abort();
    await flushMicrotasks(50);
    assert.equal(aborted, drainMs === 0);
    release.resolve();
    await running;
  }
});
