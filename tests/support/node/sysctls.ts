/**
 * Kernel settings kubelet changes at start (it "protects" these defaults by
 * writing its own values: `kernel.panic=10`, `kernel.panic_on_oops=1`,
 * `vm.overcommit_memory=1`, …). The harness records the host's values before
 * the first kubelet and writes them back on stop, so a test run leaves the
 * machine's kernel as it found it.
 *
 * @module
 */

const TUNABLES = [
  "vm/overcommit_memory",
  "vm/panic_on_oom",
  "kernel/panic",
  "kernel/panic_on_oops",
  "kernel/keys/root_maxkeys",
  "kernel/keys/root_maxbytes",
] as const;

/** The current values, keyed by their path under /proc/sys. */
export async function readTunables(): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const name of TUNABLES) {
    const value = await Deno.readTextFile(`/proc/sys/${name}`).catch(() => undefined);
    if (value !== undefined) values[name] = value.trim();
  }
  return values;
}

/** Writes back values recorded by {@link readTunables}; returns failures. */
export async function restoreTunables(values: Record<string, string>): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (!(TUNABLES as readonly string[]).includes(name)) continue;
    const current = await Deno.readTextFile(`/proc/sys/${name}`).catch(() => undefined);
    if (current?.trim() === value) continue;
    await Deno.writeTextFile(`/proc/sys/${name}`, value).catch((err) =>
      problems.push(`/proc/sys/${name}: ${err}`)
    );
  }
  return problems;
}
