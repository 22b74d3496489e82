/**
 * Fail-over times of pgop's leader election, with the default timings
 * (lease 15 s, renew deadline 10 s, retry period 2 s), on the local control
 * plane with two pgop processes: the leader is stopped, and the Lease is read
 * every 20 ms until it names the standby.
 *
 * - graceful (SIGTERM): the leader drains, releases the Lease and exits; the
 *   standby takes it at its next try, within retryPeriod × (1 + 1.2 jitter).
 * - crash (SIGKILL): the Lease is not released; the standby takes it on its
 *   first try leaseDuration after it last saw the Lease change. A standby
 *   tries every retryPeriod × (1 + 1.2 jitter) = up to 4.4 s, and its first
 *   try after the kill may still see the leader's last renewal as a change,
 *   so: within leaseDuration + 2 × 4.4 s = 23.8 s, and not before
 *   leaseDuration − retryPeriod = 13 s (the leader renews every retry period).
 *
 *   deno run -A bench/failover.ts [--runs 5] [--kinds graceful,crash]
 *
 * Prints a table, writes bench/results/failover.json and bench/results/failover.svg.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RETRY_PERIOD_MS,
  JITTER_FACTOR,
} from "../lib/leader/elector_options.ts";
import type { KubeClient } from "../lib/kube/types.ts";
import { clientFor } from "../tests/support/client.ts";
import { type LocalCluster, withCluster } from "../tests/support/cluster.ts";
import { installCrd } from "../tests/support/pgop.ts";
import { readLease, waitForHolder } from "../tests/support/lease.ts";
import { type PgopProcess } from "../tests/support/pgop_process.ts";
import { startPgopProcess } from "../tests/support/start_pgop_process.ts";
import { machineNote } from "./lib/readme.ts";
import { barChart } from "./lib/svg.ts";

type Kind = "graceful" | "crash";

/** One fail-over; times in ms after the signal. */
interface Run {
  readonly kind: Kind;
  readonly run: number;
  /** The standby named in the Lease. */
  readonly handOverMs: number;
  /** The leader's process ended (graceful: exit 0 expected). */
  readonly exitMs: number;
  readonly exitCode: number;
  /** The Lease named nobody (graceful only: the leader released it). */
  readonly releasedMs?: number;
}

interface Stats {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "5" },
    kinds: { type: "string", default: "graceful,crash" },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`--runs must be >= 1`);
const kinds = values.kinds.split(",").map((k) => k.trim()) as Kind[];
for (const k of kinds) {
  if (k !== "graceful" && k !== "crash") throw new RangeError(`Unknown kind "${k}"`);
}
const resultsDir = fileURLToPath(new URL("./results/", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, min: s[0], median, max: s[s.length - 1] };
}

/** Starts a candidate with the default timings and waits until its caches synced. */
async function candidate(cluster: LocalCluster, identity: string): Promise<PgopProcess> {
  const proc = startPgopProcess(cluster, { identity });
  await proc.ready();
  await proc.waitForLine(/^Caches synced/);
  return proc;
}

/** One fail-over from `leader` to `standby`. */
async function failOver(
  client: KubeClient,
  kind: Kind,
  run: number,
  leader: PgopProcess,
  standby: PgopProcess,
): Promise<Run> {
  let releasedMs: number | undefined;
  let polling = true;
  const sent = performance.now();
  // Watches for the "" holder of a released Lease while waiting for the exit and the standby.
  const poller = (async () => {
    while (polling) {
      const at = performance.now();
      const holder = (await readLease(client))?.holderIdentity;
      if (holder === "" && releasedMs === undefined) releasedMs = at - sent;
      await sleep(20);
    }
  })();
  try {
    leader.signal(kind === "graceful" ? "SIGTERM" : "SIGKILL");
    const exit = leader.wait().then((s) => ({ code: s.code, ms: performance.now() - sent }));
    const { at } = await waitForHolder(client, (h) => h === standby.identity, {
      timeoutMs: 60_000,
    });
    const { code, ms } = await exit;
    return { kind, run, handOverMs: at - sent, exitMs: ms, exitCode: code, releasedMs };
  } finally {
    polling = false;
    await poller;
  }
}

const results: Run[] = [];
await withCluster({ workloads: false, log: (m) => console.error(m) }, async (cluster) => {
  await installCrd(cluster);
  const client = await clientFor(cluster);
  let next = 0;
  const procs: PgopProcess[] = [];
  const start = async () => {
    const proc = await candidate(cluster, `bench-${++next}`);
    procs.push(proc);
    return proc;
  };
  try {
    let pair = [await start(), await start()];
    for (const kind of kinds) {
      for (let run = 1; run <= runs; run++) {
        const { holder } = await waitForHolder(
          client,
          (h) => pair.some((p) => p.identity === h),
          { timeoutMs: 60_000 },
        );
        const leader = pair.find((p) => p.identity === holder) ?? pair[0];
        const standby = pair.find((p) => p !== leader) ?? pair[1];
        // The standby has seen this leader and polls in its steady rhythm (random phase).
        await standby.waitForLine((l) => l.record?.holder === leader.identity, {
          timeoutMs: 60_000,
        });
        await sleep(3_000 + Math.random() * DEFAULT_RETRY_PERIOD_MS);
        const result = await failOver(client, kind, run, leader, standby);
        results.push(result);
        console.error(
          `${kind} #${run}: standby leads after ${(result.handOverMs / 1000).toFixed(2)} s` +
            ` (exit ${result.exitCode} after ${(result.exitMs / 1000).toFixed(2)} s)`,
        );
        pair = [standby, await start()];
      }
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    client.close();
  }
});

const s = (ms: number) => (ms / 1000).toFixed(2);
const rows: Array<{ label: string; kind: Kind; pick: (r: Run) => number | undefined }> = [
  { label: "SIGTERM: leader exited", kind: "graceful", pick: (r) => r.exitMs },
  { label: "SIGTERM: Lease released", kind: "graceful", pick: (r) => r.releasedMs },
  { label: "SIGTERM: standby leads", kind: "graceful", pick: (r) => r.handOverMs },
  { label: "SIGKILL: standby leads", kind: "crash", pick: (r) => r.handOverMs },
];
const table = rows.filter((row) => kinds.includes(row.kind)).map((row) => {
  const xs = results.filter((r) => r.kind === row.kind).map(row.pick).filter((x) =>
    x !== undefined
  );
  return { ...row, samples: xs, stats: stats(xs) };
}).filter((row) => row.stats.n > 0);
const bounds = {
  gracefulMaxMs: DEFAULT_RETRY_PERIOD_MS * (1 + JITTER_FACTOR),
  crashMinMs: DEFAULT_LEASE_DURATION_MS - DEFAULT_RETRY_PERIOD_MS,
  crashMaxMs: DEFAULT_LEASE_DURATION_MS + 2 * DEFAULT_RETRY_PERIOD_MS * (1 + JITTER_FACTOR),
};
const machine = await machineNote();
const date = new Date().toISOString().slice(0, 10);

console.log(`\nFail-over with the default timings (15s/10s/2s), ${runs} runs each; ${machine}\n`);
console.log("| measured (seconds after the signal) | runs |   min | median |   max |");
console.log("| ----------------------------------- | ---: | ----: | -----: | ----: |");
for (const row of table) {
  const { n, min, median, max } = row.stats;
  console.log(
    `| ${row.label.padEnd(35)} | ${String(n).padStart(4)} | ${s(min).padStart(5)} | ${
      s(median).padStart(6)
    } | ${s(max).padStart(5)} |`,
  );
}
console.log(
  `\nExpected: SIGTERM hand-over ≤ ${
    s(bounds.gracefulMaxMs)
  } s (retry period × (1 + ${JITTER_FACTOR}));` +
    ` SIGKILL between ${s(bounds.crashMinMs)} and ${s(bounds.crashMaxMs)} s.`,
);

await Deno.mkdir(resultsDir, { recursive: true });
await Deno.writeTextFile(
  `${resultsDir}failover.json`,
  JSON.stringify(
    {
      date,
      machine,
      timings: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      bounds,
      summary: Object.fromEntries(table.map((row) => [row.label, row.stats])),
      runs: results,
    },
    null,
    2,
  ) + "\n",
);
await Deno.writeTextFile(
  `${resultsDir}failover.svg`,
  barChart({
    title: "pgop fail-over (lease 15 s, renew deadline 10 s, retry 2 s)",
    subtitle: `median, min–max whiskers, each run a dot; ${runs} runs each; ${machine}; ${date}`,
    yLabel: "seconds after the signal",
    categories: table.map((row) => row.label),
    series: [{
      name: "median",
      values: table.map((row) => row.stats.median / 1000),
      ranges: table.map((row) => [row.stats.min / 1000, row.stats.max / 1000] as const),
      samples: table.map((row) => row.samples.map((x) => x / 1000)),
    }],
    digits: 2,
    width: 820,
  }),
);
console.log(`\nWrote ${resultsDir}failover.json and ${resultsDir}failover.svg`);
