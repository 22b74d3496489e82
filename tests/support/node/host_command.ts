/**
 * Host commands of the real-node harness (ip, iptables, mount, ctr, …), run
 * as child processes with their output collected.
 *
 * @module
 */

const decoder = new TextDecoder();

/** A host command that exited with a failure; keeps its stderr. */
export class HostCommandError extends Error {
  override readonly name = "HostCommandError";
  readonly command: string;
  readonly stderr: string;

  constructor(command: string, stderr: string, options?: ErrorOptions) {
    super(`"${command}" failed: ${stderr.trim() || "no output"}`, options);
    this.command = command;
    this.stderr = stderr;
  }
}

/** Runs `cmd args…`, resolves with its stdout; rejects with {@link HostCommandError}. */
export async function run(
  cmd: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const command = [cmd, ...args].join(" ");
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args: [...args],
      env: options.env,
      stdin: options.input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    throw new HostCommandError(command, String(err), { cause: err });
  }
  if (options.input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.input));
    await writer.close();
  }
  const out = await child.output();
  if (!out.success) throw new HostCommandError(command, decoder.decode(out.stderr));
  return decoder.decode(out.stdout);
}

/** Like {@link run}, but a failure is returned as its message instead of thrown (clean-up goes on). */
export async function tryRun(
  cmd: string,
  args: readonly string[],
  options: { input?: string } = {},
): Promise<string | undefined> {
  try {
    await run(cmd, args, options);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
