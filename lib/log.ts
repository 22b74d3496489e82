/**
 * Logging set-up on `@logtape/logtape`: one line per record on stderr, JSON
 * (for containers and log collectors) or readable text (for a terminal), with
 * secrets redacted from structured properties as a safety net.
 *
 * Code logs through `getLogger(["pgop", "<component>"])` with a message
 * template and structured properties:
 * `log.info("Reconciling {namespace}/{name}", { namespace, name })`.
 *
 * @module
 */
import { compareLogLevel, configure, type LogLevel, type LogRecord, reset } from "@logtape/logtape";

export { getLogger, type Logger } from "@logtape/logtape";

/** The levels pgop can be set to, most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevelName = typeof LOG_LEVELS[number];

/** Output formats; "auto" is text on a terminal and JSON otherwise (containers). */
export const LOG_FORMATS = ["json", "text", "auto"] as const;
/** One of {@link LOG_FORMATS}. */
export type LogFormat = typeof LOG_FORMATS[number];

/** Options of {@link configureLogging}. */
export interface LoggingOptions {
  /** The lowest level written. */
  readonly level: LogLevelName;
  readonly format: LogFormat;
  /** Receives each formatted line (without newline); default: written to stderr. */
  readonly sink?: (line: string) => void;
  /** Overrides terminal detection for "auto" (default `Deno.stderr.isTerminal()`). */
  readonly isTerminal?: boolean;
}

/** What replaces a secret value. */
export const REDACTED = "[REDACTED]";

/**
 * Property names whose values are never written. Bare `key` is deliberately
 * not matched: it names work-queue keys ("namespace/name"), which pgop logs.
 */
const SECRET_KEY =
  /passw(or)?d|^pass$|token|secret|credential|authorization|cookie|(api|private|access|signing|client|tls)[-_]?key/i;
/** Nesting beyond this is elided, bounding the cost of logging a large object. */
const MAX_DEPTH = 6;

/**
 * Configures logging for the whole process: every category at `level` and
 * above, formatted as `format`, to stderr or `sink`. May be called again (the
 * previous configuration is replaced). LogTape's own start-up banner is
 * silenced; its warnings still show.
 * @throws {RangeError} on an unknown level or format
 */
export async function configureLogging(options: LoggingOptions): Promise<void> {
  const { level, format } = options;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new RangeError(`Unknown log level "${String(level)}"`);
  }
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new RangeError(`Unknown log format "${String(format)}"`);
  }
  const text = format === "text" ||
    (format === "auto" && (options.isTerminal ?? Deno.stderr.isTerminal()));
  const formatter = text ? formatText : formatJson;
  const write = options.sink ?? writeStderr;
  const metaLevel: LogLevel = compareLogLevel(level, "warning") > 0 ? level : "warning";
  await configure({
    reset: true,
    sinks: { out: (record: LogRecord) => write(formatter(record)) },
    loggers: [
      { category: [], sinks: ["out"], lowestLevel: level },
      { category: ["logtape", "meta"], lowestLevel: metaLevel },
    ],
  });
}

/** Removes the configuration (records go nowhere); for tests. */
export function resetLogging(): Promise<void> {
  return reset();
}

/**
 * One JSON line: `@timestamp` (ISO 8601), `level`, `logger` (the category
 * joined with "."), `message` (rendered), then the record's properties,
 * redacted. A property named like a reserved field is written with a
 * leading "_" instead of replacing it.
 */
export function formatJson(record: LogRecord): string {
  const line: Record<string, unknown> = {
    "@timestamp": new Date(record.timestamp).toISOString(),
    level: record.level,
    logger: record.category.join("."),
    message: renderMessage(record),
  };
  for (const [key, value] of Object.entries(redact(record.properties))) {
    line[key in line ? `_${key}` : key] = value;
  }
  return JSON.stringify(line);
}

const LEVEL_TAG: Readonly<Record<LogLevel, string>> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO ",
  warning: "WARN ",
  error: "ERROR",
  fatal: "FATAL",
};

/** One readable line: `12:03:04.567 INFO  pgop·controller Reconciling namespace=a name=b` (local time). */
export function formatText(record: LogRecord): string {
  const t = new Date(record.timestamp);
  const time = `${pad(t.getHours(), 2)}:${pad(t.getMinutes(), 2)}:${pad(t.getSeconds(), 2)}.` +
    pad(t.getMilliseconds(), 3);
  let line = `${time} ${LEVEL_TAG[record.level]} ${record.category.join("·")} ${
    renderMessage(record)
  }`;
  for (const [key, value] of Object.entries(redact(record.properties))) {
    if (value === undefined) continue;
    line += ` ${key}=${textValue(value)}`;
  }
  return line;
}

/**
 * A JSON-safe deep copy of `properties` in which every value under a
 * secret-looking key (password, token, secret, credential, authorization,
 * api/private/… key) is {@link REDACTED}. Errors become
 * `{ name, message, cause, …own fields }`, bigints strings, cycles
 * "[Circular]", and nesting deeper than a few levels "[…]".
 */
export function redact(properties: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return plainObject(properties, 0, new WeakSet());
}

function renderMessage(record: LogRecord): string {
  const secrets = new Set<unknown>();
  for (const [key, value] of Object.entries(record.properties)) {
    if (SECRET_KEY.test(key)) secrets.add(value);
  }
  let out = "";
  record.message.forEach((part, i) => {
    if (i % 2 === 0) out += String(part);
    else if (secrets.has(part)) out += REDACTED;
    else if (typeof part === "string") out += part;
    else out += JSON.stringify(toJsonSafe(part, 0, new WeakSet())) ?? String(part);
  });
  return out;
}

function textValue(value: unknown): string {
  if (typeof value === "string" && /^[^\s"=]+$/.test(value)) return value;
  return JSON.stringify(value) ?? String(value);
}

function plainObject(
  source: object,
  depth: number,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : toJsonSafe(value, depth + 1, seen);
  }
  return out;
}

function toJsonSafe(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof value) {
    case "bigint":
    case "symbol":
      return value.toString();
    case "function":
      return undefined;
    case "object":
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  }
  if (seen.has(value)) return "[Circular]";
  if (depth > MAX_DEPTH) return "[…]";
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => toJsonSafe(v, depth + 1, seen) ?? null);
    if (value instanceof Error) {
      return {
        name: value.name,
        message: value.message,
        ...plainObject(value, depth, seen),
        ...(value.cause === undefined ? {} : { cause: toJsonSafe(value.cause, depth + 1, seen) }),
      };
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return toJsonSafe(toJSON.call(value), depth + 1, seen);
    if (value instanceof Map) return plainObject(Object.fromEntries(value), depth, seen);
    if (value instanceof Set) return [...value].map((v) => toJsonSafe(v, depth + 1, seen) ?? null);
    return plainObject(value, depth, seen);
  } finally {
    // Only cycles are elided; the same object twice side by side is written twice.
    seen.delete(value);
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

const encoder = new TextEncoder();

/**
 * Writes synchronously so that lines never interleave and the last lines
 * before a crash are not lost in a buffer. A failing stderr is ignored: there
 * is nowhere left to report it.
 */
function writeStderr(line: string): void {
  let bytes = encoder.encode(line + "\n");
  try {
    while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
  } catch {
    // stderr is closed or broken; dropping the line is the only option.
  }
}
