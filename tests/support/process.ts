/**
 * Child processes of the local control plane: started with their output
 * appended to a log file, stopped with SIGTERM then SIGKILL.
 *
 * @module
 */

/** A running component. */
export class Component {
  readonly name: string;
  readonly logFile: string;
  readonly #child: Deno.ChildProcess;
  #exited: Deno.CommandStatus | undefined;
  readonly #status: Promise<Deno.CommandStatus>;

  private constructor(name: string, logFile: string, child: Deno.ChildProcess) {
    this.name = name;
    this.logFile = logFile;
    this.#child = child;
    this.#status = child.status.then((s) => (this.#exited = s));
  }

  /**
   * Starts `bin args…` with stdout and stderr appended to `logFile` (through
   * `sh -c exec`, so the pid is the component's own and no pipe needs draining).
   */
  static start(
    name: string,
    bin: string,
    args: string[],
    options: { logFile: string; env?: Record<string, string>; cwd?: string },
  ): Component {
    const child = new Deno.Command("sh", {
      args: ["-c", 'log=$1; shift; exec "$@" >>"$log" 2>&1', "sh", options.logFile, bin, ...args],
      env: options.env,
      cwd: options.cwd,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    return new Component(name, options.logFile, child);
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** The exit status once the process ended, else undefined. */
  get exited(): Deno.CommandStatus | undefined {
    return this.#exited;
  }

  /** Sends a signal (no-op once exited). */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone: the status promise settles on its own.
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 5_000): Promise<Deno.CommandStatus> {
    if (this.#exited) return this.#exited;
    this.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((
      r,
    ) => (timer = setTimeout(() => r("timeout"), graceMs)));
    const first = await Promise.race([this.#status, timeout]);
    clearTimeout(timer);
    if (first === "timeout") this.kill("SIGKILL");
    return await this.#status;
  }

  /** Resolves when the process exits. */
  wait(): Promise<Deno.CommandStatus> {
    return this.#status;
  }

  /** The last `lines` lines of the component's log. */
  async tail(lines = 20): Promise<string> {
    try {
      const text = await Deno.readTextFile(this.logFile);
      return text.trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
}
