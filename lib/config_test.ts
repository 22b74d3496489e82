import assert from "node:assert/strict";
import { CONFIG_ENV, ConfigError, parseConfig, parseDuration } from "./config.ts";

Deno.test("parseConfig() gives the documented defaults", () => {
  const c = parseConfig([], {});
  assert.ok(c !== "help");
  assert.equal(c.workers, 8);
  assert.equal(c.kubeApiQps, 200);
  assert.equal(c.metricsPort, 8080);
  assert.equal(c.leaderElect, false);
  assert.equal(c.syncTimeoutMs, 120_000);
  assert.deepEqual(c.namespaces, []);
  assert.equal(c.replicationLagIntervalMs, 30_000);
});

Deno.test("parseConfig() turns the lag observer off with 0, and the last flag wins", () => {
  const c = parseConfig(["--replication-lag-interval=0", "--replication-lag-interval=2s"], {});
  assert.ok(c !== "help");
  assert.equal(c.replicationLagIntervalMs, 2_000);
  const off = parseConfig([], { PGOP_REPLICATION_LAG_INTERVAL: "0" });
  assert.ok(off !== "help");
  assert.equal(off.replicationLagIntervalMs, 0);
});

Deno.test("parseConfig() reads PGOP_* variables and lets flags win", () => {
  const c = parseConfig(["--workers=3"], {
    PGOP_WORKERS: "16",
    PGOP_LEADER_ELECT: "true",
    POD_NAMESPACE: "ops",
  });
  assert.ok(c !== "help");
  assert.equal(c.workers, 3);
  assert.equal(c.leaderElect, true);
  assert.equal(c.leaderElectionNamespace, "ops");
});

Deno.test("parseConfig() rejects unknown flags and bad values with a clear ConfigError", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--nope"], /Unknown option '--nope'/],
    [["--workers=0"], /--workers must be an integer >= 1, got "0"/],
    [["--workers=abc"], /--workers/],
    [["--kube-api-burst=1.5"], /--kube-api-burst/],
    [["--debounce=soon"], /--debounce must be a duration/],
    [["--metrics-address=host:99999"], /--metrics-address/],
    [["--log-level=loud"], /--log-level/],
    [["--leader-elect", "--retry-period=20s"], /--renew-deadline/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseConfig(args, {}),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  }
});

Deno.test("parseDuration() reads ms, s, m, h and bare milliseconds", () => {
  assert.equal(parseDuration("250", "x"), 250);
  assert.equal(parseDuration("250ms", "x"), 250);
  assert.equal(parseDuration("1.5s", "x"), 1500);
  assert.equal(parseDuration("2m", "x"), 120_000);
  assert.equal(parseDuration("1h", "x"), 3_600_000);
});

Deno.test("parseConfig() splits namespaces and metrics address", () => {
  const c = parseConfig(["--namespaces= a, b ,", "--metrics-address=127.0.0.1:0"], {});
  assert.ok(c !== "help");
  assert.deepEqual(c.namespaces, ["a", "b"]);
  assert.equal(c.metricsHostname, "127.0.0.1");
  assert.equal(c.metricsPort, 0);
  assert.equal(parseConfig(["--help"], {}), "help");
});

Deno.test("parseConfig() reads the secure metrics and health probe flags", () => {
  const plain = parseConfig([], {});
  assert.ok(plain !== "help");
  assert.deepEqual(
    [plain.metricsSecure, plain.metricsCertDir, plain.healthProbeHostname, plain.healthProbePort],
    [false, undefined, "0.0.0.0", 8081],
  );
  const secure = parseConfig([
    "--metrics-secure",
    "--metrics-cert-dir=/etc/pgop/certs",
    "--health-probe-address=127.0.0.1:9000",
  ], {});
  assert.ok(secure !== "help");
  assert.deepEqual(
    [
      secure.metricsSecure,
      secure.metricsCertDir,
      secure.healthProbeHostname,
      secure.healthProbePort,
    ],
    [true, "/etc/pgop/certs", "127.0.0.1", 9000],
  );
  const off = parseConfig(["--health-probe-address=0"], { PGOP_METRICS_SECURE: "true" });
  assert.ok(off !== "help");
  assert.equal(off.healthProbePort, undefined);
  assert.equal(off.metricsSecure, true);
  assert.throws(() => parseConfig(["--metrics-cert-dir=/x"], {}), /needs --metrics-secure/);
  assert.throws(() => parseConfig(["--health-probe-address=x:y"], {}), /--health-probe-address/);
});

Deno.test("CONFIG_ENV names every flag's variable and POD_NAMESPACE", () => {
  assert.ok(CONFIG_ENV.includes("PGOP_WORKERS"));
  assert.ok(CONFIG_ENV.includes("PGOP_HEALTH_PROBE_ADDRESS"));
  assert.ok(CONFIG_ENV.includes("POD_NAMESPACE"));
  assert.ok(!CONFIG_ENV.includes("PGOP_HELP"));
  assert.ok(CONFIG_ENV.every((n) => n === "POD_NAMESPACE" || n.startsWith("PGOP_")));
});
