/**
 * pgop as a child process (`deno run … main.ts`), for what only a real
 * process shows: signals, exit codes, what reaches stdout and stderr, and the
 * permissions the binary is compiled with.
 *
 * ```ts
 * await using pgop = PgopChild.start(["--kubeconfig", path, "--log-format=json"]);
 * await pgop.waitForLine(/Caches synced/);
 * pgop.kill("SIGTERM");
 * const { code } = await pgop.exited(10_000);
 * ```
 *
 * @module
 */
import { MAIN_PATH } from "./pgop.ts";
import { LAG_OBSERVER_OFF, localPermissions, pgopRunFlags } from "./pgop_runtime.ts";

/** Options of {@link PgopChild.start}. */
export interface PgopChildOptions {
  /** Deno permission flags; default {@link localPermissions} of `args`. */
  readonly permissions?: readonly string[];
  /**
   * Environment variables to set. The child gets the test's environment
   * without `KUBECONFIG`, `PGOP_*` and the names in `unset`, plus these.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Variables to leave out of the child's environment. */
  readonly unset?: readonly string[];
  /** More `deno run` flags (not permissions), e.g. `--preload=probe.ts`. */
  readonly denoFlags?: readonly string[];
}

/** How a child ended. */
export interface ChildExit {
  readonly code: number;
  readonly signal: Deno.Signal | null;
}

const repoRoot = new URL("../../", import.meta.url).pathname;

/** A running `deno run main.ts`; dispose it (`await using`) to kill and reap it. */
export class PgopChild {
  readonly #child: Deno.ChildProcess;
  readonly #stdout: string[] = [];
  readonly #stderr: string[] = [];
  readonly #drained: Promise<void>;
  readonly #status: Promise<Deno.CommandStatus>;
  #waiters: (() => void)[] = [];

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#status = child.status;
    this.#drained = Promise.all([
      this.#collect(child.stdout, this.#stdout),
      this.#collect(child.stderr, this.#stderr),
    ]).then(() => {});
  }

  /** Starts `deno run --frozen --no-prompt <permissions> main.ts <args>` in the repository root. */
  static start(args: readonly string[], options: PgopChildOptions = {}): PgopChild {
    const unset = new Set(["KUBECONFIG", ...(options.unset ?? [])]);
    const env = Object.fromEntries(
      Object.entries(Deno.env.toObject()).filter(([k]) => !unset.has(k) && !k.startsWith("PGOP_")),
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--frozen",
        "--no-prompt",
        ...pgopRunFlags(options.permissions ?? localPermissions(args)),
        ...(options.denoFlags ?? []),
        MAIN_PATH,
        // Health probes on a port of their own choosing, unless `args` says otherwise.
        "--health-probe-address=127.0.0.1:0",
        LAG_OBSERVER_OFF,
        ...args,
      ],
      cwd: repoRoot,
      clearEnv: true,
      env: { ...env, NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new PgopChild(child);
  }

  /** Runs main.ts to its end (at most `timeoutMs`) and returns its exit and output. */
  static async run(
    args: readonly string[],
    options: PgopChildOptions & { timeoutMs?: number } = {},
  ): Promise<ChildExit & { stdout: string; stderr: string }> {
    await using child = PgopChild.start(args, options);
    const exit = await child.exited(options.timeoutMs ?? 30_000);
    return { ...exit, stdout: child.stdout, stderr: child.stderr };
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Everything written to stdout so far. */
  get stdout(): string {
    return this.#stdout.join("");
  }

  /** Everything written to stderr so far (pgop's logs). */
  get stderr(): string {
    return this.#stderr.join("");
  }

  /** The complete lines written to stderr so far. */
  get stderrLines(): string[] {
    const text = this.stderr;
    const end = text.lastIndexOf("\n");
    return end < 0 ? [] : text.slice(0, end).split("\n");
  }

  /** Sends a signal (ignored once the process has exited). */
  kill(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  /**
   * Resolves with the first stderr line matching `pattern`, waiting up to
   * `timeoutMs`; rejects with the output so far when the time is up or the
   * process exits first.
   */
  async waitForLine(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    let done = false;
    this.#status.finally(() => (done = true));
    for (;;) {
      const line = this.stderrLines.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (done) {
        await this.#drained;
        const last = this.stderrLines.find((l) => pattern.test(l));
        if (last !== undefined) return last;
        throw new Error(`pgop exited before logging ${pattern}:\n${this.stderr}${this.stdout}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(`pgop did not log ${pattern} within ${timeoutMs} ms:\n${this.stderr}`);
      }
      await this.#nextOutput(Math.min(left, 500));
    }
  }

  /**
   * Waits up to `timeoutMs` for the process to exit and its output to be read.
   * @throws {Error} when it is still running then (it is killed with SIGKILL)
   */
  async exited(timeoutMs: number): Promise<ChildExit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((
      r,
    ) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
    const first = await Promise.race([this.#status, timeout]);
    clearTimeout(timer);
    if (first === "timeout") {
      this.kill("SIGKILL");
      await this.#status;
      await this.#drained;
      throw new Error(`pgop did not exit within ${timeoutMs} ms:\n${this.stderr}`);
    }
    await this.#drained;
    return { code: first.code, signal: first.signal };
  }

  /** Kills the process if it still runs, and reaps it and its output streams. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.#status;
    await this.#drained;
  }

  async #collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      into.push(chunk);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
  }

  #nextOutput(maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve();
      }, maxMs);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(wake);
    });
  }
}
