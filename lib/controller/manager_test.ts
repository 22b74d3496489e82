import assert from "node:assert/strict";
import type { KubeClient } from "../kube/types.ts";
import { type Election, type LeaderRunnable, Manager, type Runnable } from "./manager.ts";

/** A runnable that records when it started and stopped. */
function recorder(name: string, events: string[]): Runnable {
  return {
    run: (signal) =>
      new Promise<void>((resolve) => {
        events.push(`${name} started`);
        const stopped = () => (events.push(`${name} stopped`), resolve());
        if (signal.aborted) stopped();
        else signal.addEventListener("abort", stopped, { once: true });
      }),
  };
}

function leaderRecorder(name: string, events: string[]): LeaderRunnable {
  const inner = recorder(name, events);
  return { run: (signal) => inner.run(signal) };
}

// No cache is made in these tests, so the client is never used.
const client = {} as KubeClient;

const waitFor = async (what: () => boolean) => {
  for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 0));
  assert.ok(what());
};

Deno.test("Manager starts servers, then controllers, and stops them in reverse order", async () => {
  const events: string[] = [];
  const mgr = new Manager({ client, syncTimeoutMs: 1000, drainMs: 0 });
  mgr.add(recorder("server", events));
  mgr.addController(() => leaderRecorder("controller", events));
  assert.equal(mgr.synced, true);
  const stop = new AbortController();
  const running = mgr.run(stop.signal);
  await waitFor(() => events.length === 2);
  stop.abort();
  await running;
  assert.deepEqual(events, [
    "server started",
    "controller started",
    "controller stopped",
    "server stopped",
  ]);
});

Deno.test("Manager runs controllers only while elected, a fresh one per term", async () => {
  const events: string[] = [];
  let terms = 0;
  const election: Election = {
    run: async (signal, lead) => {
      terms++;
      // Two short terms, then leadership until the manager stops.
      const leading = new AbortController();
      const forward = () => leading.abort();
      signal.addEventListener("abort", forward, { once: true });
      const led = lead(leading.signal);
      if (terms <= 2) leading.abort();
      await led;
      signal.removeEventListener("abort", forward);
      events.push(`term ${terms} over`);
    },
  };
  let built = 0;
  const mgr = new Manager({ client, election, syncTimeoutMs: 1000, drainMs: 0 });
  mgr.addController(() => (built++, leaderRecorder(`controller ${built}`, events)));
  const stop = new AbortController();
  const running = mgr.run(stop.signal);
  await waitFor(() => events.includes("controller 3 started"));
  stop.abort();
  await running;
  assert.equal(built, 3);
  assert.deepEqual(events.slice(-2), ["controller 3 stopped", "term 3 over"]);
});

Deno.test("Manager stops everything and rejects when a part fails", async () => {
  const events: string[] = [];
  const mgr = new Manager({ client, syncTimeoutMs: 1000, drainMs: 0 });
  mgr.add(recorder("server", events));
  mgr.add({ run: () => Promise.reject(new Error("address in use")) });
  mgr.addController(() => leaderRecorder("controller", events));
  await assert.rejects(mgr.run(new AbortController().signal), /address in use/);
  assert.equal(events.at(-1), "server stopped");
});

Deno.test("Manager refuses parts once running", async () => {
  const mgr = new Manager({ client, syncTimeoutMs: 1000, drainMs: 0 });
  const stop = new AbortController();
  stop.abort();
  const running = mgr.run(stop.signal);
  assert.throws(() => mgr.add(recorder("late", [])), /already running/);
  await running;
});
