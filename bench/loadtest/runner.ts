/**
 * One load-test run, start to end: target cluster, namespaces, system under
 * test, the measured phase (`measure.ts`), hooks, cleanup, and the report
 * files.
 *
 * @module
 */
import { join } from "node:path";
import { RestClient } from "../../lib/kube/rest_client.ts";
import { scrapeApiserverMetrics } from "./apiserver.ts";
import { openWatches } from "./control_plane_cost.ts";
import { machineInfo } from "./machine.ts";
import { measureRun } from "./measure.ts";
import { cleanupRun, ensureNamespaces } from "./namespaces.ts";
import type { LoadtestOptions } from "./options.ts";
import { namespaceNames, newRunId, planDatabases, RUN_LABEL } from "./plan.ts";
import { ProgressDisplay } from "./progress.ts";
import { buildReport, type LoadtestReport } from "./report.ts";
import { RequestCounter } from "./request_counts.ts";
import { writeResults } from "./results.ts";
import { isChild, startSystem } from "./start_system.ts";
import { REPO_ROOT } from "./sut_child.ts";
import { openTarget, type Target } from "./target.ts";
import { POSTGRES_IMAGE } from "../../tests/support/images.ts";

/** What hooks get. */
export interface RunContext {
  readonly target: Target;
  readonly outDir: string;
  readonly log: (message: string) => void;
  /** Aborted on Ctrl-C or SIGTERM: a long hook stops what it started and returns. */
  readonly signal: AbortSignal;
}

/** Extra steps a caller (the benchmark) adds to a run. */
export interface RunHooks {
  /** After the system under test stopped, before cleanup; the result goes to `report.extra`. */
  readonly afterStop?: (context: RunContext) => Promise<Record<string, unknown>>;
  /** Skip cleanup when the control plane is local (it is thrown away anyway). */
  readonly discardLocalCluster?: boolean;
}

/** Time allowed for the system under test to sync before the run. */
const SYNC_TIMEOUT_MS = 180_000;

/** `bench/results/<prefix>-<timestamp>/`. */
export function defaultOutDir(prefix = "loadtest"): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").replace(/Z$/, "");
  return join(REPO_ROOT, "bench", "results", `${prefix}-${stamp}`);
}

/** Keeps a local control plane (for `--no-cleanup`) until Ctrl-C. */
async function holdUntilInterrupted(target: Target): Promise<void> {
  console.error(`--no-cleanup: control plane kept; KUBECONFIG=${target.kubeconfig}`);
  console.error("Press Ctrl-C to stop it.");
  const stop = Promise.withResolvers<void>();
  const onStop = () => stop.resolve();
  Deno.addSignalListener("SIGINT", onStop);
  await stop.promise;
  Deno.removeSignalListener("SIGINT", onStop);
}

/** Runs a load test; writes `report.json`, `chart.svg` and `summary.txt` to the out directory. */
export async function runLoadtest(
  options: LoadtestOptions,
  hooks: RunHooks = {},
): Promise<{ report: LoadtestReport; outDir: string; summary: string }> {
  const outDir = options.out ?? defaultOutDir(options.mode === "floor" ? "floor" : "loadtest");
  await Deno.mkdir(outDir, { recursive: true });
  const display = new ProgressDisplay();
  const log = (message: string) => display.log(message);
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort(new Error("Interrupted"));
  // A plain `kill` too: the run stops its pgop child and its control plane as on Ctrl-C.
  Deno.addSignalListener("SIGINT", onInterrupt);
  Deno.addSignalListener("SIGTERM", onInterrupt);
  const machine = await machineInfo();
  const startedAt = new Date().toISOString();
  let target: Target | undefined;
  let tool: RestClient | undefined;
  let ok = false;
  try {
    target = await openTarget(options.kubeconfig, log, options.count, options.real);
    const toolCounter = new RequestCounter();
    tool = new RestClient(target.connection, {
      qps: options.qps,
      burst: Math.max(1, Math.ceil(options.qps)),
      userAgent: "pgop-loadtest",
      onRequest: (info) => toolCounter.record(info.verb, info.resource),
    });
    const runId = newRunId();
    const labelSelector = `${RUN_LABEL}=${runId}`;
    const namespaces = namespaceNames(options.namespaces);
    const createdNamespaces = await ensureNamespaces(tool, namespaces);
    const plan = planDatabases({
      runId,
      count: options.count,
      namespaces,
      envMix: options.envMix,
      ...(options.real ? { image: POSTGRES_IMAGE, storage: "1Gi" } : {}),
    });
    // Watches open before the system under test exists: the control plane's own.
    const baselineWatches = await scrapeApiserverMetrics(target.connection).then(
      openWatches,
      () => undefined,
    );
    const syncStart = performance.now();
    const sut = await startSystem(options, target.kubeconfig, outDir);
    let syncMs: number;
    try {
      await sut.waitSynced(SYNC_TIMEOUT_MS);
      syncMs = performance.now() - (isChild(sut) ? sut.spawnedAt : syncStart);
      log(`${sut.label} synced in ${(syncMs / 1000).toFixed(2)} s; run ${runId}`);
    } catch (error) {
      await sut.stop();
      throw error;
    }
    const measured = await measureRun({
      options,
      target,
      tool,
      toolCounter,
      sut,
      plan,
      labelSelector,
      display,
      log,
      interrupt: interrupt.signal,
      baselineWatches,
    });
    const extra = hooks.afterStop
      ? await hooks.afterStop({ target, outDir, log, signal: interrupt.signal })
      : undefined;
    let cleanupSeconds: number | undefined;
    if (options.cleanup && !(hooks.discardLocalCluster && target.local)) {
      log("cleaning up…");
      const started = performance.now();
      await cleanupRun(tool, {
        labelSelector,
        namespaces: createdNamespaces,
        concurrency: options.concurrency,
      });
      cleanupSeconds = (performance.now() - started) / 1000;
    }
    const report = buildReport({
      ...measured,
      options,
      runId,
      startedAt,
      machine,
      syncMs,
      extra,
      cleanupSeconds,
    });
    const summary = await writeResults(outDir, report);
    ok = true;
    return { report, outDir, summary };
  } finally {
    tool?.close();
    Deno.removeSignalListener("SIGINT", onInterrupt);
    Deno.removeSignalListener("SIGTERM", onInterrupt);
    if (target?.local && !options.cleanup && !hooks.discardLocalCluster) {
      await holdUntilInterrupted(target);
    }
    if (ok || !target?.local) await target?.stop();
    else await target.local.stop({ keepDir: true });
  }
}
