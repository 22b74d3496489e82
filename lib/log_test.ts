import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import {
  configureLogging,
  formatJson,
  formatText,
  getLogger,
  type LoggingOptions,
  redact,
  REDACTED,
  resetLogging,
} from "./log.ts";

/** Configures logging into an array for the duration of `fn`. */
async function capture(
  options: Omit<LoggingOptions, "sink">,
  fn: () => void,
): Promise<string[]> {
  const lines: string[] = [];
  await configureLogging({ ...options, sink: (line) => lines.push(line) });
  try {
    fn();
  } finally {
    await resetLogging();
  }
  return lines;
}

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    category: ["pgop", "controller"],
    level: "info",
    message: ["Reconciling ", "a/b", ""],
    rawMessage: "Reconciling {key}",
    timestamp: Date.UTC(2024, 0, 2, 3, 4, 5, 6),
    properties: { key: "a/b", namespace: "a", name: "b" },
    ...overrides,
  };
}

Deno.test("configureLogging() writes JSON lines with timestamp, level, logger, message and fields", async () => {
  const lines = await capture({ level: "info", format: "json" }, () => {
    getLogger(["pgop", "controller"]).info("Reconciling {key}", {
      key: "a/b",
      generation: 3,
    });
  });
  assert.equal(lines.length, 1, "no LogTape banner, one line");
  const line = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(line), [
    "@timestamp",
    "level",
    "logger",
    "message",
    "key",
    "generation",
  ]);
  assert.match(line["@timestamp"], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(line.level, "info");
  assert.equal(line.logger, "pgop.controller");
  assert.equal(line.message, "Reconciling a/b");
  assert.equal(line.key, "a/b");
  assert.equal(line.generation, 3);
});

Deno.test("configureLogging() drops records below the level", async () => {
  const lines = await capture({ level: "warning", format: "json" }, () => {
    const log = getLogger(["pgop", "test"]);
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
  });
  assert.deepEqual(lines.map((l) => JSON.parse(l).level), ["warning", "error"]);
});

Deno.test("configureLogging() may be called again and replaces the configuration", async () => {
  const first: string[] = [];
  await configureLogging({ level: "info", format: "json", sink: (l) => first.push(l) });
  const second = await capture({ level: "debug", format: "text" }, () => {
    getLogger(["pgop"]).debug("hello");
  });
  assert.deepEqual(first, []);
  assert.equal(second.length, 1);
  assert.match(second[0], / DEBUG pgop hello$/);
});

Deno.test("configureLogging() picks text on a terminal and JSON otherwise for auto", async () => {
  const emit = () => getLogger(["pgop"]).info("x");
  const tty = await capture({ level: "info", format: "auto", isTerminal: true }, emit);
  const pipe = await capture({ level: "info", format: "auto", isTerminal: false }, emit);
  assert.match(tty[0], /^\d\d:\d\d:\d\d\.\d{3} INFO {2}pgop x$/);
  assert.equal(JSON.parse(pipe[0]).message, "x");
});

Deno.test("configureLogging() rejects unknown levels and formats", async () => {
  await assert.rejects(
    configureLogging({ level: "verbose" as "info", format: "json" }),
    RangeError,
  );
  await assert.rejects(configureLogging({ level: "info", format: "xml" as "json" }), RangeError);
});

Deno.test("logged secrets are redacted in properties, nested objects and the message", async () => {
  const lines = await capture({ level: "info", format: "json" }, () => {
    getLogger(["pgop"]).info("Connecting with {password}", {
      password: "hunter2",
      user: "app",
      spec: { auth: { bearerToken: "abc", clientKey: "pem" }, replicas: 2 },
    });
  });
  assert.ok(
    !lines[0].includes("hunter2") && !lines[0].includes("abc") && !lines[0].includes("pem"),
  );
  const line = JSON.parse(lines[0]);
  assert.equal(line.message, `Connecting with ${REDACTED}`);
  assert.equal(line.password, REDACTED);
  assert.equal(line.user, "app");
  assert.deepEqual(line.spec, {
    auth: { bearerToken: REDACTED, clientKey: REDACTED },
    replicas: 2,
  });
});

Deno.test("redact() keeps queue keys and makes errors, bigints and cycles JSON-safe", () => {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  const error = Object.assign(new RangeError("bad", { cause: new Error("inner") }), {
    status: 409,
  });
  const out = redact({ key: "ns/db", big: 10n, cycle, error, when: new Date(0), fn: () => 1 });
  assert.deepEqual(out, {
    key: "ns/db",
    big: "10",
    cycle: { a: 1, self: "[Circular]" },
    error: {
      name: "RangeError",
      message: "bad",
      status: 409,
      cause: { name: "Error", message: "inner" },
    },
    when: "1970-01-01T00:00:00.000Z",
    fn: undefined,
  });
});

Deno.test("formatJson() keeps reserved fields and renames a clashing property", () => {
  const line = JSON.parse(formatJson(record({ properties: { level: "x", message: "y" } })));
  assert.equal(line.level, "info");
  assert.equal(line._level, "x");
  assert.equal(line._message, "y");
  assert.equal(line["@timestamp"], "2024-01-02T03:04:05.006Z");
});

Deno.test("formatText() writes one readable line with quoted values where needed", () => {
  const line = formatText(record({ properties: { namespace: "a", name: "b", note: "two words" } }));
  const t = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
  const hh = String(t.getHours()).padStart(2, "0");
  const mm = String(t.getMinutes()).padStart(2, "0");
  assert.equal(
    line,
    `${hh}:${mm}:05.006 INFO  pgop·controller Reconciling a/b namespace=a name=b note="two words"`,
  );
  assert.match(formatText(record({ level: "warning" })), / WARN {2}pgop·controller /);
});
