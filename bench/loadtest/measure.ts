/**
 * The measured part of a load-test run, once the system under test has
 * synced: start the Ready tracker, create the Databases, wait for all Ready,
 * hold the steady-state window, stop everything, and hand back what was seen.
 *
 * @module
 */
import { Resources } from "../../lib/kube/resource.ts";
import type { Database } from "../../lib/database/types.ts";
import type { KubeClient } from "../../lib/kube/types.ts";
import { type ApiserverWrites, apiserverWrites, scrapeApiserverMetrics } from "./apiserver.ts";
import { CHILDREN_TRACKER_WATCHES, ChildrenTracker } from "./children_tracker.ts";
import { costBetween, openWatches, sampleControlPlane } from "./control_plane_cost.ts";
import { hotFunctions } from "./cpu_profile.ts";
import { describeNotReady } from "./diagnose.ts";
import type { LoadtestOptions } from "./options.ts";
import { runPool } from "./pool.ts";
import type { ProgressDisplay } from "./progress.ts";
import type { RawRun } from "./report.ts";
import { diffCounts, type RequestCounter } from "./request_counts.ts";
import { Sampler } from "./sampler.ts";
import { isChild } from "./start_system.ts";
import { SHUTDOWN_GRACE_MS, type SystemUnderTest } from "./sut.ts";
import { REPO_ROOT } from "./sut_child.ts";
import type { Target } from "./target.ts";
import { ReadyTracker } from "./tracker.ts";
import { waitForReady } from "./wait_ready.ts";

/** A watch ends at once when aborted; longer means the abort was lost (reported, then moved on). */
const TRACKER_STOP_MS = 5_000;

/** What {@link measureRun} works with. */
export interface MeasureContext {
  readonly options: LoadtestOptions;
  readonly target: Target;
  readonly tool: KubeClient;
  readonly toolCounter: RequestCounter;
  readonly sut: SystemUnderTest;
  readonly plan: readonly Database[];
  readonly labelSelector: string;
  readonly display: ProgressDisplay;
  readonly log: (message: string) => void;
  /** Aborts on Ctrl-C. */
  readonly interrupt: AbortSignal;
  /** Watches the API server held open before the system under test started, by resource. */
  readonly baselineWatches?: Readonly<Record<string, number>>;
}

/** Everything of a {@link RawRun} that the measured phase knows. */
export type Measured = Omit<
  RawRun,
  "options" | "runId" | "startedAt" | "machine" | "syncMs" | "extra" | "cleanupSeconds"
>;

/** The API server's write counts and open watches, or why they could not be read. */
async function scrape(
  target: Target,
): Promise<{ writes: ApiserverWrites; watches: Record<string, number> } | string> {
  try {
    const text = await scrapeApiserverMetrics(target.connection);
    return { writes: apiserverWrites(text), watches: openWatches(text) };
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Resolves after `ms` or when `signal` aborts, whichever is first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const id = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(id);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Runs the measured phase; stops the system under test before returning (also on error). */
export async function measureRun(ctx: MeasureContext): Promise<Measured> {
  const { options, sut, plan, tool, display, log, interrupt } = ctx;
  const trackerStop = new AbortController();
  try {
    let t0 = performance.now();
    const tracker = new ReadyTracker(tool, {
      labelSelector: ctx.labelSelector,
      now: () => performance.now() - t0,
    });
    const children = new ChildrenTracker(tool, { now: () => performance.now() - t0 });
    const listed = Promise.withResolvers<void>();
    const childrenListed = Promise.withResolvers<void>();
    const tracking = tracker.run(trackerStop.signal, () => listed.resolve());
    tracking.catch((error) => listed.reject(error));
    const trackingChildren = children.run(trackerStop.signal, () => childrenListed.resolve());
    trackingChildren.catch((error) => childrenListed.reject(error));
    await Promise.all([listed.promise, childrenListed.promise]);
    const createdMs: (number | undefined)[] = new Array(plan.length);
    let created = 0;
    const sampler = new Sampler(async () => {
      const s = await sut.sample();
      const c = tracker.counts;
      const t = (performance.now() - t0) / 1000;
      return { t, created, reconciled: c.firstStatus, ready: c.ready, ...s };
    });
    const apiBefore = await scrape(ctx.target);
    const costBefore = await sampleControlPlane(ctx.target.local);
    const start = { requests: await sut.requests(), stats: await sut.stats() };
    const toolBefore = ctx.toolCounter.snapshot();
    t0 = performance.now();
    sampler.start();
    display.start(() => ({
      total: plan.length,
      created,
      reconciled: tracker.counts.firstStatus,
      ready: tracker.counts.ready,
      elapsedMs: performance.now() - t0,
    }));
    await runPool(plan, options.concurrency, async (db, i) => {
      await tool.create(Resources.databases, db, { fieldManager: "pgop-loadtest" });
      createdMs[i] = performance.now() - t0;
      created++;
    }, interrupt);
    const creationMs = performance.now() - t0;
    const outcome = await waitForReady(tracker, plan.length, {
      timeoutMs: options.timeoutSeconds * 1000,
      stallMs: options.stallSeconds * 1000,
      tracking,
      signal: interrupt,
    });
    if (outcome === "interrupted") throw interrupt.reason;
    const allReadyMs = outcome === "ready" ? performance.now() - t0 : undefined;
    const milestones = tracker.milestones();
    const keys = plan.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`);
    if (allReadyMs === undefined) {
      log(`Not all Ready (${outcome}): ${tracker.counts.ready}/${plan.length}`);
    }
    const notReady = allReadyMs === undefined
      ? await describeNotReady(tool, keys.filter((k) => milestones.get(k)?.readyMs === undefined))
      : undefined;
    const apiAfter = await scrape(ctx.target);
    const controlPlane = costBetween(costBefore, await sampleControlPlane(ctx.target.local));
    const toolRequests = diffCounts(ctx.toolCounter.snapshot(), toolBefore);
    const run = { requests: await sut.requests(), stats: await sut.stats() };
    const steadyStart = performance.now();
    if (allReadyMs !== undefined && options.steadySeconds > 0) {
      await sleep(options.steadySeconds * 1000, interrupt);
    }
    const steadySeconds = allReadyMs === undefined ? 0 : (performance.now() - steadyStart) / 1000;
    const steady = { requests: await sut.requests(), stats: await sut.stats() };
    const series = await sampler.stop();
    display.stop();
    trackerStop.abort();
    const trackerStopped = await Promise.race([
      Promise.allSettled([tracking, trackingChildren]).then(() => true),
      sleep(TRACKER_STOP_MS, interrupt).then(() => false),
    ]);
    if (!trackerStopped) log(`The tracker's watch did not end within ${TRACKER_STOP_MS} ms`);
    await sut.stop();
    const profile = isChild(sut) ? await sut.profile() : undefined;
    const shutdown = sut.shutdown();
    if (shutdown?.stuck) log(`${sut.label} did not stop within ${SHUTDOWN_GRACE_MS} ms`);
    return {
      system: { kind: sut.kind, label: sut.label, resourceNote: sut.resourceNote },
      creationMs,
      allReadyMs,
      databases: keys.map((key, i) => ({
        createdMs: createdMs[i],
        childrenMs: children.childrenMs(key),
        ...milestones.get(key),
      })),
      requests: { start: start.requests, run: run.requests, steady: steady.requests },
      toolRequests,
      apiserver: typeof apiBefore === "string" || typeof apiAfter === "string"
        ? { error: typeof apiBefore === "string" ? apiBefore : String(apiAfter) }
        : { writes: diffCounts(apiAfter.writes, apiBefore.writes) },
      controlPlane,
      watches: typeof apiAfter === "string" || ctx.baselineWatches === undefined ? undefined : {
        baseline: ctx.baselineWatches,
        run: apiAfter.watches,
        // The load tool's own: the Ready tracker's watch of Databases and the children's.
        tool: 1 + CHILDREN_TRACKER_WATCHES,
      },
      stats: { start: start.stats, run: run.stats, steady: steady.stats },
      steadySeconds,
      series,
      hotFunctions: profile ? hotFunctions(profile, 25, `file://${REPO_ROOT}`) : undefined,
      outcome,
      notReady,
      shutdown,
      trackerStopped,
    };
  } finally {
    display.stop();
    trackerStop.abort();
    await sut.stop();
  }
}
