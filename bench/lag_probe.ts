/**
 * The cost of one replication lag look (`lib/database/replication_probe.ts`):
 * a primary and a streaming standby of real PostgreSQL on loopback, run by
 * pgop's instance script (tests/support/instances.ts), then N looks one after
 * another, each a new connection with SCRAM-SHA-256 authentication, one
 * query and a close. Prints the wall time per look (median, p90, max) and
 * this process's CPU time per look; the read of the replication Secret that
 * pgop makes before each look is not included (one GET of the API server).
 *
 *   deno run -A bench/lag_probe.ts [-n 200]
 *
 * Needs a PostgreSQL server package (`postgresql-15` on Debian).
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { REPLICATION_USER } from "../lib/database/roles.ts";
import { probeReplication } from "../lib/database/replication_probe.ts";
import { InstanceSet, postgresBinDir } from "../tests/support/instances.ts";
import { waitUntil } from "../tests/support/wait.ts";
import { summarize } from "./loadtest/stats.ts";
import { machineNote } from "./lib/readme.ts";

const { values } = parseArgs({ options: { n: { type: "string", short: "n", default: "200" } } });
const n = Number(values.n);
if (!Number.isInteger(n) || n < 1) throw new RangeError("-n must be a positive integer");
const binDir = postgresBinDir();
if (binDir === undefined) throw new Error("No PostgreSQL server in /usr/lib/postgresql");

const password = "bench-pass";
const set = await InstanceSet.create(2, { binDir, replicationPassword: password });
try {
  const [a] = await set.streamingPair();
  const target = {
    host: "127.0.0.1",
    port: a.port,
    user: REPLICATION_USER,
    password,
    database: "postgres",
    timeoutMs: 5_000,
  };
  const signal = new AbortController().signal;
  await waitUntil("the standby's lag known", async () => {
    return (await probeReplication(target, signal))[0]?.lagBytes !== undefined;
  });
  const wall: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await probeReplication(target, signal);
    wall.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpu0);
  const s = summarize(wall);
  const ms = (v: number | undefined) => `${(v ?? Number.NaN).toFixed(2)} ms`;
  console.log(await machineNote());
  console.log(
    `${n} looks: wall median ${ms(s?.p50)}, p90 ${ms(s?.p90)}, max ${ms(s?.max)}; ` +
      `CPU of this process ${ms((cpu.user + cpu.system) / 1000 / n)} per look`,
  );
} finally {
  await set.stop();
}
