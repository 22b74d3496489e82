/**
 * pgop as a child process (`deno run main.ts`), for tests that need what only
 * a real process has: signals (SIGTERM, SIGKILL, SIGSTOP/SIGCONT), an exit
 * code, its own event loop and its own /metrics endpoint.
 *
 * Every line pgop writes (JSON logs on stderr, anything on stdout) is kept in
 * memory with the moment it arrived, and appended to a log file beside the
 * control plane's (kept with them when a test fails).
 *
 * ```ts
 * await using a = startPgopProcess(cluster, { identity: "a" });
 * await a.ready();
 * await a.waitForLine((l) => l.message.startsWith("Became leader"));
 * ```
 *
 * @module
 */
import { localPermissions, pgopRunFlags } from "./pgop_runtime.ts";
import { dirname, join } from "node:path";
import { LEASE_NAME } from "./lease.ts";
import { parseExposition, valueOf } from "./prometheus_text.ts";
import { MAIN_PATH } from "./pgop.ts";
import type { LocalCluster } from "./cluster.ts";

/** One line of pgop's output. */
export interface LogLine {
  /** `performance.now()` in the test process when the line was read. */
  readonly at: number;
  readonly stream: "stdout" | "stderr";
  readonly text: string;
  /** The parsed JSON record, or undefined for a line that is not JSON. */
  readonly record: Readonly<Record<string, unknown>> | undefined;
  /** The record's `message`, else the raw text. */
  readonly message: string;
}

/** Options of {@link startPgopProcess}. */
export interface PgopProcessOptions {
  /** Leader-election identity (`--identity`); also names the log file. */
  readonly identity: string;
  /** More flags, e.g. `["--lease-duration=4s"]`; they come last and so win. */
  readonly args?: readonly string[];
  /** Pass `--leader-elect` (default true). */
  readonly leaderElect?: boolean;
  /** Default: the cluster's admin kubeconfig. */
  readonly kubeconfig?: string;
  /** Where the log file goes; default the cluster's directory. */
  readonly logDir?: string;
  /** Extra environment variables (the test's environment is inherited). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Options of {@link PgopProcess.waitForLine}. */
export interface WaitForLineOptions {
  /** Default 30 000. */
  readonly timeoutMs?: number;
  /** Look only at lines with index >= `from` (see {@link PgopProcess.mark}); default 0. */
  readonly from?: number;
}

const DEFAULT_WAIT_MS = 30_000;
const encoder = new TextEncoder();
const REPO_ROOT = dirname(MAIN_PATH);

/**
 * A running pgop child process. Call {@link stop} (or `await using`) in a
 * `finally`: it always ends the process, also a stopped (SIGSTOP) one.
 */
export class PgopProcess {
  readonly identity: string;
  readonly logFile: string;
  readonly #child: Deno.ChildProcess;
  readonly #lines: LogLine[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #status: Promise<Deno.CommandStatus>;
  readonly #drained: Promise<void>;
  readonly #log: Deno.FsFile;
  #exited: Deno.CommandStatus | undefined;
  /** Exited, and every line of its output read. */
  #finished = false;
  #port: number | undefined;

  /** Use {@link startPgopProcess}; takes ownership of `log` (closed once the output ended). */
  constructor(child: Deno.ChildProcess, identity: string, logFile: string, log: Deno.FsFile) {
    this.#child = child;
    this.identity = identity;
    this.logFile = logFile;
    this.#log = log;
    this.#drained = Promise.all([
      this.#read(child.stdout, "stdout"),
      this.#read(child.stderr, "stderr"),
    ]).then(() => this.#log.close());
    this.#status = child.status.then((status) => (this.#exited = status));
    Promise.all([this.#status, this.#drained]).then(() => {
      this.#finished = true;
      this.#notify();
    });
  }

  /** The child's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Every line so far, in arrival order. */
  get lines(): readonly LogLine[] {
    return this.#lines;
  }

  /** The exit status once the process has ended, else undefined. */
  get exited(): Deno.CommandStatus | undefined {
    return this.#exited;
  }

  /** The index the next line will get: pass it as `from` to look only at later lines. */
  mark(): number {
    return this.#lines.length;
  }

  /** Lines (from index `from`) whose message matches `pattern`, or for which it returns true. */
  grep(pattern: RegExp | ((line: LogLine) => boolean), from = 0): LogLine[] {
    const test = typeof pattern === "function"
      ? pattern
      : (l: LogLine) => pattern.test(l.message) || pattern.test(l.text);
    return this.#lines.slice(from).filter(test);
  }

  /**
   * Resolves with the first line (from `options.from`) that matches; rejects
   * after the timeout or when the process exits without writing one.
   */
  waitForLine(
    pattern: RegExp | ((line: LogLine) => boolean),
    options: WaitForLineOptions = {},
  ): Promise<LogLine> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    let next = options.from ?? 0;
    return new Promise<LogLine>((resolve, reject) => {
      const finish = (error: Error | undefined, line?: LogLine) => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        if (error) reject(error);
        else if (line) resolve(line);
      };
      const check = () => {
        const found = this.grep(pattern, next)[0];
        next = this.#lines.length;
        if (found) return finish(undefined, found);
        if (this.#finished) {
          finish(
            new Error(`pgop "${this.identity}" exited (${this.#exited?.code}) ${this.#tail()}`),
          );
        }
      };
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `Timed out after ${timeoutMs} ms waiting for ${pattern} in the log of pgop "${this.identity}" ${this.#tail()}`,
            ),
          ),
        timeoutMs,
      );
      this.#listeners.add(check);
      check();
    });
  }

  /** Waits until the metrics server is up (its port is read from the log); returns the port. */
  async ready(timeoutMs = DEFAULT_WAIT_MS): Promise<number> {
    if (this.#port === undefined) {
      const line = await this.waitForLine(/^Serving metrics and health on /, { timeoutMs });
      const port = Number(line.record?.port);
      if (!Number.isInteger(port) || port <= 0) {
        throw new Error(`No port in the line "${line.text}"`);
      }
      this.#port = port;
    }
    return this.#port;
  }

  /**
   * The text of its /metrics (waits for {@link ready} first). A stopped
   * (SIGSTOP) process cannot answer: the request then fails after `timeoutMs`.
   */
  async metrics(timeoutMs = 10_000): Promise<string> {
    const port = await this.ready();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error("metrics request timed out")), timeoutMs);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: abort.signal });
      const text = await res.text();
      if (!res.ok) {
        throw new Error(`GET /metrics of pgop "${this.identity}": ${res.status} ${text}`);
      }
      return text;
    } finally {
      clearTimeout(timer);
    }
  }

  /** `leader_election_master_status{name=lease}` from its /metrics (undefined when absent). */
  async leaderStatus(lease = LEASE_NAME): Promise<number | undefined> {
    return valueOf(parseExposition(await this.metrics()), "leader_election_master_status", {
      name: lease,
    });
  }

  /** Sends a signal (nothing once the process has exited). */
  signal(signal: "SIGTERM" | "SIGKILL" | "SIGSTOP" | "SIGCONT" | "SIGINT"): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch {
      // Exited in between: the status promise settles on its own.
    }
  }

  /** Resolves with the exit status once the process has ended and its output was read. */
  async wait(): Promise<Deno.CommandStatus> {
    const status = await this.#status;
    await this.#drained;
    return status;
  }

  /**
   * Ends the process whatever its state: SIGCONT (a stopped process cannot
   * handle SIGTERM), SIGTERM, then SIGKILL after `graceMs`. Resolves once it
   * has exited, its output was read and the log file closed. Idempotent.
   */
  async stop(graceMs = 15_000): Promise<Deno.CommandStatus> {
    if (!this.#exited) {
      this.signal("SIGCONT");
      this.signal("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), graceMs);
      });
      const first = await Promise.race([this.#status, timeout]);
      clearTimeout(timer);
      if (first === "timeout") this.signal("SIGKILL");
    }
    return await this.wait();
  }

  /** Same as {@link stop}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #read(stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr"): Promise<void> {
    let rest = "";
    const add = (text: string) => {
      let record: Record<string, unknown> | undefined;
      if (text.startsWith("{")) {
        try {
          record = JSON.parse(text);
        } catch {
          record = undefined;
        }
      }
      const message = typeof record?.message === "string" ? record.message : text;
      this.#lines.push({ at: performance.now(), stream: name, text, record, message });
      this.#log.writeSync(encoder.encode(`${text}\n`));
    };
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        for (const part of parts) add(part);
        this.#notify();
      }
    } catch {
      // The pipe broke (the child is gone): there is nothing more to read.
    } finally {
      if (rest) add(rest);
      this.#notify();
    }
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  #tail(lines = 15): string {
    return `; log ${this.logFile}, last lines:\n${
      this.#lines.slice(-lines).map((l) => l.text).join("\n")
    }`;
  }
}

/**
 * Starts `deno run main.ts --kubeconfig=… --leader-elect --identity=… --metrics-address=127.0.0.1:0
 * --log-format=json --log-level=info …args`. The metrics port is chosen by the
 * process itself (no race for a free port) and read from its log by
 * {@link PgopProcess.ready}. The pid is also added to the cluster's `pids`
 * file, so that the cluster reaper kills it if the test runner itself dies.
 */
export function startPgopProcess(
  cluster: LocalCluster,
  options: PgopProcessOptions,
): PgopProcess {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(options.identity)) {
    throw new RangeError(`identity must be a simple name, got "${options.identity}"`);
  }
  const logFile = join(options.logDir ?? cluster.dir, `pgop-${options.identity}.log`);
  const kubeconfig = `--kubeconfig=${options.kubeconfig ?? cluster.kubeconfigPath}`;
  const args = [
    "run",
    ...pgopRunFlags(localPermissions([kubeconfig])),
    `--config=${join(REPO_ROOT, "deno.json")}`,
    MAIN_PATH,
    kubeconfig,
    ...(options.leaderElect ?? true ? ["--leader-elect"] : []),
    `--identity=${options.identity}`,
    "--metrics-address=127.0.0.1:0",
    "--health-probe-address=127.0.0.1:0",
    "--log-format=json",
    "--log-level=info",
    ...(options.args ?? []),
  ];
  const log = Deno.openSync(logFile, { create: true, append: true });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: REPO_ROOT,
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    log.close();
    throw error;
  }
  const proc = new PgopProcess(child, options.identity, logFile, log);
  try {
    Deno.writeTextFileSync(join(cluster.dir, "pids"), `${child.pid}\n`, { append: true });
  } catch {
    // Best effort: only the reaper's safety net depends on it.
  }
  return proc;
}
