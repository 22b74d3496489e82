/**
 * The machine a figure was measured on, written beside every result.
 *
 * @module
 */

/** Facts about the machine and runtime. */
export interface MachineInfo {
  readonly nproc: number;
  readonly memoryBytes: number;
  readonly cpuModel?: string;
  readonly os: string;
  readonly deno: string;
  readonly v8: string;
  /** 1/5/15-minute load averages when the run started: other work on the machine skews figures. */
  readonly loadavg: readonly number[];
}

/** Reads the machine's facts (needs `--allow-sys`; reads /proc/cpuinfo when allowed). */
export async function machineInfo(): Promise<MachineInfo> {
  let cpuModel: string | undefined;
  try {
    const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim();
  } catch {
    // Not Linux, or not allowed.
  }
  return {
    nproc: navigator.hardwareConcurrency,
    memoryBytes: Deno.systemMemoryInfo().total,
    cpuModel,
    os: `${Deno.build.os}/${Deno.build.arch}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    loadavg: Deno.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

/** "2 CPUs (model), 23.5 GiB, Deno 2.9.6, linux/x86_64, load 0.5". */
export function describeMachine(m: MachineInfo): string {
  const gib = (m.memoryBytes / 2 ** 30).toFixed(1);
  return `${m.nproc} CPUs${m.cpuModel ? ` (${m.cpuModel})` : ""}, ${gib} GiB memory, ` +
    `Deno ${m.deno}, ${m.os}, load average at start ${m.loadavg.join(" ")}`;
}
