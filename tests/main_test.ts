/**
 * main.ts as a real process: one clear line and exit code 1 for every error a
 * user can fix; JSON logs with one `Reconciling` line per reconcile and no
 * password anywhere; and a clean exit 0 on SIGTERM in the middle of work.
 * (tests/sandbox_test.ts runs it with the Dockerfile's permissions.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import { generateCerts } from "./support/certs.ts";
import { type LocalCluster, withCluster } from "./support/cluster.ts";
import { kubeconfigYaml } from "./support/kubeconfig.ts";
import { PgopChild } from "./support/pgop_child.ts";
import { applyDatabases, databaseManifest, installCrd } from "./support/pgop.ts";
import { freePorts } from "./support/ports.ts";
import { parseExposition, valueOf } from "./support/prometheus_text.ts";
import { waitUntil } from "./support/wait.ts";

/** A JSON log line. */
interface LogLine {
  readonly "@timestamp": string;
  readonly level: string;
  readonly logger: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

function jsonLines(stderr: string): LogLine[] {
  return stderr.split("\n").filter((l) => l !== "").map((line) => {
    try {
      return JSON.parse(line) as LogLine;
    } catch {
      throw new Error(`Not a JSON log line: ${line}`);
    }
  });
}

/** Asserts the output of a run that must fail with one clear line. */
function assertOneLineError(
  run: { code: number; stdout: string; stderr: string },
  expected: RegExp,
): void {
  const output = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  assert.equal(run.code, 1, output);
  assert.equal(run.stdout, "", output);
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, output);
  assert.match(lines[0], /^pgop: /, output);
  assert.match(lines[0], expected, output);
  assert.doesNotMatch(run.stderr, /^\s+at /m, "no stack trace");
  assert.doesNotMatch(run.stderr, /unexpected error/, output);
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "pgop-main-test-" });
}

Deno.test("main.ts: flag and kubeconfig errors end in one line and exit 1", async (t) => {
  const dir = await tempDir();
  try {
    const valid = join(dir, "valid.kubeconfig");
    const [closedPort] = freePorts(1);
    await Deno.writeTextFile(
      valid,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: local`,
        `  cluster: { server: "https://127.0.0.1:${closedPort}" }`,
        "users:",
        "- name: someone",
        "  user: { token: not-a-real-token }",
        "contexts:",
        "- name: local",
        "  context: { cluster: local, user: someone }",
        "current-context: local",
        "",
      ].join("\n"),
    );
    const malformed = join(dir, "malformed.kubeconfig");
    await Deno.writeTextFile(malformed, "apiVersion: v1\nclusters: [ { name: local\n");

    await t.step("an unknown flag", async () => {
      const run = await PgopChild.run(["--kubeconfig", valid, "--no-such-flag"]);
      assertOneLineError(run, /Unknown option '--no-such-flag'/);
    });

    await t.step("a bad flag value", async () => {
      const run = await PgopChild.run(["--kubeconfig", valid, "--workers=many"]);
      assertOneLineError(run, /--workers must be an integer >= 1, got "many"/);
      const duration = await PgopChild.run(["--kubeconfig", valid, "--sync-timeout=soon"]);
      assertOneLineError(duration, /--sync-timeout must be a duration/);
    });

    await t.step("a malformed kubeconfig file", async () => {
      const run = await PgopChild.run(["--kubeconfig", malformed]);
      assertOneLineError(run, /Kubeconfig ".*malformed\.kubeconfig" is not valid YAML/);
    });

    await t.step("a kubeconfig file that does not exist", async () => {
      const run = await PgopChild.run(["--kubeconfig", join(dir, "missing.kubeconfig")]);
      assertOneLineError(run, /Cannot read kubeconfig ".*missing\.kubeconfig"/);
    });

    await t.step("a context the kubeconfig does not have", async () => {
      const run = await PgopChild.run(["--kubeconfig", valid, "--context", "staging"]);
      assertOneLineError(run, /Context "staging" not found in kubeconfig/);
    });

    await t.step("an API server that is not there", async () => {
      const run = await PgopChild.run(["--kubeconfig", valid]);
      assertOneLineError(
        run,
        new RegExp(`Cannot reach the API server at https://127\\.0\\.0\\.1:${closedPort}`),
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The passwords of every Secret pgop made, decoded. */
async function passwords(cluster: LocalCluster): Promise<string[]> {
  const list = JSON.parse(
    await cluster.kubectl([
      "get",
      "secrets",
      "-A",
      "-l",
      "app.kubernetes.io/managed-by=pgop",
      "-o",
      "json",
    ]),
  );
  return (list.items as Secret[]).map((s) => atob(s.data?.password ?? ""));
}

async function readyCount(cluster: LocalCluster, names: readonly string[]): Promise<number> {
  const list = JSON.parse(await cluster.kubectl(["get", "databases", "-A", "-o", "json"]));
  return (list.items as { metadata: { name: string }; status?: { phase?: string } }[])
    .filter((d) => names.includes(d.metadata.name) && d.status?.phase === "Ready").length;
}

/** The metrics port pgop logged as JSON (`--metrics-address=127.0.0.1:0`). */
async function metricsPort(pgop: PgopChild): Promise<number> {
  const line = await pgop.waitForLine(/Serving metrics and health on/);
  const port = Number(jsonLines(line)[0].port);
  assert.ok(port > 0, line);
  return port;
}

Deno.test("main.ts against the control plane: errors, logs, SIGTERM", async (t) => {
  await withCluster({}, async (cluster) => {
    const admin = ["--kubeconfig", cluster.kubeconfigPath];

    await t.step("the CRD is not installed", async () => {
      const run = await PgopChild.run(admin);
      assertOneLineError(run, /The Database CRD is not installed: kubectl apply -f crds/);
    });

    await t.step("a client certificate signed by another CA", async () => {
      const dir = await tempDir();
      try {
        // A whole other set: its admin certificate (group system:masters!) is not ours.
        const other = await generateCerts(dir);
        const path = join(dir, "foreign.kubeconfig");
        await Deno.writeTextFile(
          path,
          kubeconfigYaml({
            server: cluster.server,
            caPem: cluster.certs.pem.ca,
            certPem: other.pem.cert,
            keyPem: other.pem.key,
          }),
        );
        const run = await PgopChild.run(["--kubeconfig", path]);
        assertOneLineError(run, /rejected the credentials \(401 Unauthorized\)/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await installCrd(cluster);

    await t.step("JSON logs: one Reconciling line per reconcile, no password", async () => {
      const names = ["logs-db-1", "logs-db-2", "logs-db-3"];
      await using pgop = PgopChild.start([
        ...admin,
        "--log-format=json",
        "--log-level=debug",
        "--metrics-address=127.0.0.1:0",
      ]);
      const port = await metricsPort(pgop);
      await pgop.waitForLine(/Caches synced/);
      await applyDatabases(cluster, names.map((n) => databaseManifest(n)));
      await waitUntil("Databases Ready", async () => await readyCount(cluster, names) === 3, {
        timeoutMs: 90_000,
      });
      const reconcilingLines = () =>
        jsonLines(pgop.stderrLines.join("\n")).filter((l) => l.message === "Reconciling");
      // Reconciling is logged as a reconcile starts, the metric counts it as it ends: equal at rest.
      await waitUntil("a quiet moment where logs and metrics agree", async () => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        const total = valueOf(parseExposition(await res.text()), "database_reconcile_total");
        return total !== undefined && total > 0 && total === reconcilingLines().length;
      });
      pgop.kill("SIGTERM");
      const exit = await pgop.exited(15_000);
      assert.equal(exit.code, 0, pgop.stderr);
      assert.equal(pgop.stdout, "");

      const lines = jsonLines(pgop.stderr);
      for (const line of lines) {
        assert.equal(typeof line["@timestamp"], "string");
        assert.ok(["debug", "info", "warning", "error"].includes(line.level), line.level);
        assert.match(line.logger, /^pgop(\.|$)/);
        assert.equal(typeof line.message, "string");
      }
      const reconciling = lines.filter((l) => l.message === "Reconciling");
      for (const line of reconciling) {
        assert.equal(line.namespace, "default", JSON.stringify(line));
        assert.ok(typeof line.name === "string" && names.includes(line.name), JSON.stringify(line));
        assert.equal(typeof line.reason, "string", JSON.stringify(line));
      }
      for (const name of names) {
        assert.ok(reconciling.some((l) => l.name === name), `a Reconciling line for ${name}`);
      }
      const output = pgop.stderr + pgop.stdout;
      const secrets = await passwords(cluster);
      // Two Secrets each: the credentials and the replication role's.
      assert.equal(secrets.length, 2 * names.length);
      for (const password of secrets) {
        assert.ok(password.length >= 16, "a generated password");
        assert.ok(!output.includes(password), "the password is in no log line");
        assert.ok(!output.includes(btoa(password)), "nor its base64 form");
      }
    });

    await t.step("SIGTERM during reconciles: in-flight ones finish, exit 0", async () => {
      const names = Array.from({ length: 20 }, (_, i) => `sigterm-db-${i + 1}`);
      // One worker and 5 API requests a second: a new Database (4 creates and
      // a status write) takes about a second, so most are queued at the signal.
      await using pgop = PgopChild.start([
        ...admin,
        "--log-format=json",
        "--workers=1",
        "--kube-api-qps=5",
        "--kube-api-burst=1",
        "--metrics-address=127.0.0.1:0",
      ]);
      await pgop.waitForLine(/Caches synced/);
      await applyDatabases(cluster, names.map((n) => databaseManifest(n)));
      const started = () =>
        jsonLines(pgop.stderrLines.join("\n")).filter((l) =>
          l.message === "Reconciling" && names.includes(String(l.name))
        ).length;
      await waitUntil("a few reconciles of the new Databases", () => started() >= 2);
      assert.ok(started() < names.length, "work is still queued");
      const sent = performance.now();
      pgop.kill("SIGTERM");
      const exit = await pgop.exited(15_000);
      const seconds = (performance.now() - sent) / 1000;
      assert.equal(exit.code, 0, pgop.stderr);
      assert.ok(seconds < 5, `stopped in ${seconds.toFixed(1)} s`);
      assert.equal(pgop.stdout, "");
      const lines = jsonLines(pgop.stderr);
      const shutting = lines.findIndex((l) => l.message === "Shutting down");
      assert.ok(shutting >= 0, "logged Shutting down");
      assert.equal(lines.at(-1)?.message, "pgop stopped");
      assert.deepEqual(
        lines.slice(shutting).filter((l) => l.message === "Reconciling"),
        [],
        "no reconcile starts after the signal",
      );
      assert.deepEqual(lines.filter((l) => l.level === "error"), [], "no error logged");
      assert.ok(started() < names.length, "queued Databases were left for the next leader");
    });
  });
});
