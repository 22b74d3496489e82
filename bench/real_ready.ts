/**
 * Time from a Database's creation to Ready on a real node, where Ready means
 * a real PostgreSQL answered the probes: N Databases one after another (each
 * waited for before the next is created, so starts do not compete for the 2
 * cores), pgop in-process, on a local control plane with one real node.
 *
 *   deno run -A bench/real_ready.ts [-n 5]
 *
 * For each Database: created (just before the apply, so one kubectl process
 * start is included) → its pod scheduled, its container started and Ready
 * (from the pod's status, second precision) → PostgreSQL accepting connections
 * (its log, the final server after initdb) → the Database Ready as pgop's
 * cache sees it. Prints a table and the median; writes
 * bench/results/real-ready/latest.json.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Database } from "../lib/database/types.ts";
import { withCluster } from "../tests/support/cluster.ts";
import { POSTGRES_IMAGE } from "../tests/support/images.ts";
import { CRD_PATH, databaseManifest, installCrd, startPgop } from "../tests/support/pgop.ts";
import { waitUntil } from "../tests/support/wait.ts";
import { summarize } from "./loadtest/stats.ts";
import { machineNote } from "./lib/readme.ts";

interface PodTimes {
  readonly metadata: { creationTimestamp: string };
  readonly status: {
    conditions?: { type: string; lastTransitionTime: string }[];
    containerStatuses?: { state?: { running?: { startedAt: string } } }[];
  };
}

const { values } = parseArgs({ options: { n: { type: "string", short: "n", default: "5" } } });
const n = Number(values.n);
if (!Number.isInteger(n) || n < 1) throw new RangeError(`-n must be a positive integer`);

const rows: {
  name: string;
  readyS: number;
  podCreatedS: number;
  startedS: number;
  postgresUpS: number;
}[] = [];

/** When the (last) server said "ready to accept connections", from the pod's log (ms precision). */
function postgresUp(log: string): number {
  const lines = [
    ...log.matchAll(/^(\S+ \S+) UTC \[\d+\] LOG: {2}database system is ready to accept/gm),
  ];
  const last = lines.at(-1)?.[1];
  return last === undefined ? NaN : Date.parse(`${last.replace(" ", "T")}Z`);
}
await withCluster({ manifests: [CRD_PATH], realNodes: 1, nodes: 0 }, async (cluster) => {
  await installCrd(cluster);
  const pgop = await startPgop(cluster);
  try {
    for (let i = 0; i < n; i++) {
      const name = `ready-${i}`;
      let readyAt: number | undefined;
      const remove = pgop.operator.databases.addHandler({
        onUpdate: (_, db: Database) => {
          if (db.metadata?.name === name && db.status?.phase === "Ready") {
            readyAt ??= performance.now();
          }
        },
      });
      const started = performance.now();
      const wall = Date.now();
      await cluster.apply([
        databaseManifest(name, { spec: { image: POSTGRES_IMAGE, storage: { size: "1Gi" } } }),
      ]);
      await waitUntil(`${name} Ready`, () => readyAt !== undefined, {
        timeoutMs: 180_000,
        intervalMs: 5,
      });
      remove();
      const pod = JSON.parse(
        await cluster.kubectl(["get", "pod", `${name}-0`, "-o", "json"]),
      ) as PodTimes;
      const since = (time: string | undefined) =>
        time === undefined ? NaN : (Date.parse(time) - wall) / 1000;
      const log = await cluster.kubectl(["logs", `${name}-0`]);
      rows.push({
        name,
        postgresUpS: (postgresUp(log) - wall) / 1000,
        readyS: ((readyAt ?? NaN) - started) / 1000,
        podCreatedS: since(pod.metadata.creationTimestamp),
        startedS: since(pod.status.containerStatuses?.[0]?.state?.running?.startedAt),
      });
      const row = rows.at(-1);
      console.log(
        `${name}: Ready after ${row?.readyS.toFixed(2)} s (pod created ~${
          row?.podCreatedS.toFixed(0)
        } s, container started ~${row?.startedS.toFixed(0)} s, second precision; PostgreSQL up ${
          row?.postgresUpS.toFixed(2)
        } s)`,
      );
    }
  } finally {
    await pgop.stop();
  }
});

const summary = summarize(rows.map((r) => r.readyS));
console.log(
  `Database created → Ready on a real node, ${n} in sequence: median ${
    summary?.p50.toFixed(2)
  } s, max ${summary?.max.toFixed(2)} s`,
);
console.log(await machineNote());
await Deno.mkdir(new URL("./results/real-ready/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/real-ready/latest.json", import.meta.url),
  JSON.stringify({ rows, summary }, null, 2) + "\n",
);
