/**
 * Loaded with `deno run --preload` before main.ts, so it runs in pgop's own
 * process with pgop's permissions, and tries what an attacker's code in
 * pgop's module graph (a compromised npm dependency) would: read a file
 * outside pgop's list, write one, run a program, open libc through FFI,
 * read an environment variable pgop does not use, connect elsewhere, read
 * system information. It writes one JSON line on stderr,
 * `{"sandboxProbe": {"<attempt>": "<error name or 'allowed'>"}}`, then lets
 * main.ts start. The file to try to read is named by `PGOP_PROBE_FILE` (an
 * environment variable pgop may read).
 *
 * @module
 */
import { execFileSync } from "node:child_process";

const outside = Deno.env.get("PGOP_PROBE_FILE") ?? "/etc/passwd";
const attempts: Record<string, () => unknown> = {
  readOutside: () => Deno.readTextFileSync(outside),
  readEtcPasswd: () => Deno.readTextFileSync("/etc/passwd"),
  write: () => Deno.writeTextFileSync(`${outside}.written`, "x"),
  run: () => new Deno.Command("/bin/true").outputSync(),
  nodeChildProcess: () => execFileSync("/bin/true"),
  ffiLibc: () =>
    Deno.dlopen("/lib/x86_64-linux-gnu/libc.so.6", {
      getpid: { parameters: [], result: "i32" },
    }),
  envPath: () => Deno.env.get("PATH"),
  envAll: () => Deno.env.toObject(),
  connectElsewhere: () => Deno.connect({ hostname: "127.0.0.1", port: 9 }),
  sysNetworkInterfaces: () => Deno.networkInterfaces(),
  sysOsRelease: () => Deno.osRelease(),
};
const results: Record<string, string> = {};
for (const [name, attempt] of Object.entries(attempts)) {
  try {
    const value = attempt();
    // A connect is a promise: its failure is what counts.
    if (value instanceof Promise) await value.then((c) => (c as Deno.Conn).close?.());
    results[name] = "allowed";
  } catch (error) {
    results[name] = error instanceof Error ? error.name : String(error);
  }
}
console.error(JSON.stringify({ sandboxProbe: results }));
