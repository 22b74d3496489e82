/**
 * pgop as a child process (`deno run … main.ts`), measured from outside: its
 * `/metrics` (requests, reconciles, queue depth, CPU, RSS), its `/readyz`
 * (synced), Linux's `VmHWM` (peak RSS), its log (kept in a file) and
 * optionally a CPU profile through the inspector.
 *
 * @module
 */
import {
  LAG_OBSERVER_OFF,
  localPermissions,
  pgopRunFlags,
} from "../../tests/support/pgop_runtime.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePorts } from "../../tests/support/ports.ts";
import { type CpuProfile, InspectorProfiler } from "./cpu_profile.ts";
import { parsePromText, type Sample } from "../../tests/support/prometheus_text.ts";
import { countsFromMetrics } from "./request_counts.ts";
import {
  keepPgopMetric,
  sampleFromPgopMetrics,
  type Shutdown,
  statsFromPgopMetrics,
  type SystemUnderTest,
  timedStop,
} from "./sut.ts";

/** The project root (main.ts and deno.json). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Options of {@link startChildPgop}. */
export interface ChildPgopOptions {
  readonly kubeconfig: string;
  readonly args: readonly string[];
  /** Where `pgop.log` (and `pgop.cpuprofile`) go. */
  readonly dir: string;
  readonly cpuProfile?: boolean;
  /** Log file name (default pgop.log). */
  readonly logName?: string;
}

/** A pgop child process. */
export interface ChildPgop extends SystemUnderTest {
  readonly pid: number;
  /** `performance.now()` when it was spawned. */
  readonly spawnedAt: number;
  /** The "Caches synced in N ms" of its log, once logged. */
  cachesSyncedMs(): number | undefined;
  /** The CPU profile written at stop, when asked for. */
  readonly profilePath?: string;
  /** Resolves with the profile after {@link SystemUnderTest.stop}, when asked for. */
  profile(): Promise<CpuProfile | undefined>;
}

/** Highest RSS of `pid` so far (`VmHWM`), or undefined off Linux. */
export async function peakRss(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Starts `main.ts` with `--kubeconfig`, a free metrics port, JSON logs and `args`. */
export async function startChildPgop(options: ChildPgopOptions): Promise<ChildPgop> {
  const [metricsPort, inspectPort] = freePorts(2);
  const inspect = `127.0.0.1:${inspectPort}`;
  const base = `http://127.0.0.1:${metricsPort}`;
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...pgopRunFlags(localPermissions([`--kubeconfig=${options.kubeconfig}`])),
      ...(options.cpuProfile ? [`--inspect=${inspect}`] : []),
      join(REPO_ROOT, "main.ts"),
      `--kubeconfig=${options.kubeconfig}`,
      `--metrics-address=127.0.0.1:${metricsPort}`,
      "--health-probe-address=0",
      "--log-format=json",
      LAG_OBSERVER_OFF,
      ...options.args,
    ],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
  const log = await Deno.open(join(options.dir, options.logName ?? "pgop.log"), {
    create: true,
    append: true,
  });
  const spawnedAt = performance.now();
  const child = command.spawn();
  let syncedMs: number | undefined;
  const logged = (async () => {
    let rest = "";
    const encoder = new TextEncoder();
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      await log.write(encoder.encode(chunk));
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        if (syncedMs !== undefined || !line.includes("Caches synced")) continue;
        try {
          syncedMs = Number((JSON.parse(line) as { ms?: number }).ms);
        } catch {
          // A line that is not JSON (the inspector's banner).
        }
      }
    }
  })().finally(() => log.close());
  const profiler = options.cpuProfile ? await InspectorProfiler.start(inspect) : undefined;
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(`${base}/metrics`);
    return parsePromText(await res.text(), keepPgopMetric);
  };
  const profilePath = options.cpuProfile ? join(options.dir, "pgop.cpuprofile") : undefined;
  let profile: Promise<CpuProfile | undefined> = Promise.resolve(undefined);
  let stopped: Promise<void> | undefined;
  let shutdown: Shutdown | undefined;
  return {
    kind: "pgop",
    label: "pgop (child process)",
    resourceNote: "child process: CPU from its process_cpu_seconds_total, RSS from " +
      "process_resident_memory_bytes, peak RSS from /proc VmHWM",
    pid: child.pid,
    spawnedAt,
    profilePath,
    cachesSyncedMs: () => syncedMs,
    profile: () => profile,
    shutdown: () => shutdown,
    waitSynced: async (timeoutMs) => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        if (exited) throw new Error(`pgop exited early; see ${options.dir}/pgop.log`);
        try {
          const res = await fetch(`${base}/readyz`);
          await res.body?.cancel();
          if (res.ok) return;
        } catch {
          // Not serving yet.
        }
        if (performance.now() > deadline) throw new Error("pgop did not become ready in time");
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    requests: async () => countsFromMetrics(await scrape()),
    sample: async () => sampleFromPgopMetrics(await scrape()),
    stats: async () => ({
      ...statsFromPgopMetrics(await scrape()),
      peakRssBytes: await peakRss(child.pid),
    }),
    stop: () =>
      stopped ??= (async () => {
        if (profiler && !exited) {
          profile = profiler.stop();
          const p = await profile;
          if (p && profilePath) await Deno.writeTextFile(profilePath, JSON.stringify(p));
        }
        if (!exited) child.kill("SIGTERM");
        shutdown = await timedStop(async () => void await status, () => child.kill("SIGKILL"));
        await status;
        await logged;
      })(),
  };
}
