/**
 * `probeReplication()` against real PostgreSQL processes on this machine
 * (loopback), run by pgop's instance script: the replication role it sets up
 * can log in over TCP with SCRAM-SHA-256 and read each standby's replay
 * position; a standby, a wrong password and a closed port are errors. Needs a
 * PostgreSQL server package (`postgresql-15` on Debian); skipped without one.
 */
import assert from "node:assert/strict";
import { REPLICATION_USER } from "../lib/database/roles.ts";
import {
  NotPrimaryError,
  probeReplication,
  type ProbeTarget,
  ReplicationProbeError,
  type StandbyState,
} from "../lib/database/replication_probe.ts";
import { InstanceSet, postgresBinDir } from "./support/instances.ts";
import { PGOP_ENV } from "./support/pgop_runtime.ts";
import { freePorts } from "./support/ports.ts";
import { waitUntil } from "./support/wait.ts";

const binDir = postgresBinDir();
if (binDir === undefined) {
  console.warn("replication_probe_test: no PostgreSQL in /usr/lib/postgresql; skipped");
}
const PASSWORD = "probe-pass:w'rd";
const CHILD = new URL("./support/probe_child.ts", import.meta.url).pathname;

Deno.test({
  name: "probeReplication() reads a standby's lag as the replication role, and fails cleanly",
  ignore: binDir === undefined,
  async fn() {
    const set = await InstanceSet.create(2, {
      binDir: binDir ?? "",
      replicationPassword: PASSWORD,
    });
    try {
      const [a, b] = await set.streamingPair();

      const target: ProbeTarget = {
        host: "127.0.0.1",
        port: a.port,
        user: REPLICATION_USER,
        password: PASSWORD,
        database: "postgres",
        timeoutMs: 5_000,
      };
      const signal = new AbortController().signal;
      let standbys = await probeReplication(target, signal);
      assert.deepEqual(standbys.map((s) => [s.name, s.streaming]), [["db-1", true]]);
      // replay_lsn is null until the standby's first status message.
      await waitUntil("db-1's replay position", async () => {
        standbys = await probeReplication(target, signal);
        return standbys[0]?.lagBytes !== undefined;
      });
      assert.ok((standbys[0].lagBytes ?? -1) >= 0);

      // A standby is no primary: pg_current_wal_lsn() fails in recovery.
      await assert.rejects(
        probeReplication({ ...target, port: b.port }, signal),
        NotPrimaryError,
      );
      await assert.rejects(
        probeReplication({ ...target, password: "wrong" }, signal),
        (e: unknown) => e instanceof ReplicationProbeError && /password/.test(e.message),
      );
      // Inside pgop's sandbox: the client reads no environment variable pgop does not grant.
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--frozen",
          "--no-prompt",
          `--allow-env=${PGOP_ENV.join(",")}`,
          "--allow-net=127.0.0.1",
          CHILD,
        ],
        env: { PGHOST: "elsewhere", PGUSER: "nobody", PGSSLMODE: "require" },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(JSON.stringify(target)));
      await writer.close();
      const out = await child.output();
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      assert.equal(out.code, 0, text(out.stderr));
      assert.deepEqual(JSON.parse(text(out.stdout)).map((s: StandbyState) => s.name), ["db-1"]);

      const [closed] = freePorts(1);
      await assert.rejects(
        probeReplication({ ...target, port: closed }, signal),
        ReplicationProbeError,
      );
    } finally {
      await set.stop();
    }
  },
});

Deno.test("probeReplication() gives up after its timeout on a server that never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  try {
    await assert.rejects(
      probeReplication({
        host: "127.0.0.1",
        port: listener.addr.port,
        user: REPLICATION_USER,
        password: "x",
        database: "postgres",
        timeoutMs: 300,
      }, new AbortController().signal),
      (e: unknown) =>
        e instanceof ReplicationProbeError && /timed out after 300 ms/.test(e.message),
    );
  } finally {
    listener.close();
    await accepting;
    for (const conn of accepted) conn.close();
  }
});
