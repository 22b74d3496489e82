/**
 * A CPU profile of a Deno process started with `--inspect=HOST:PORT`, taken
 * through the inspector protocol (Deno's own `--cpu-prof` writes nothing when
 * the program ends with `Deno.exit()`, as main.ts does), and the functions
 * that used the most CPU in it.
 *
 * @module
 */

/** The `.cpuprofile` format (Chrome DevTools), the part read here. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
  }>;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** One function's share of the profile. */
export interface HotFunction {
  /** "name (file:line)" with the path shortened to the part after the project root. */
  readonly where: string;
  /** Self time in milliseconds. */
  readonly selfMs: number;
  /** Share of the sampled time, 0–1. */
  readonly share: number;
}

/** A connection to a process's inspector that records one CPU profile. */
export class InspectorProfiler {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, (result: unknown) => void>();
  #id = 0;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (message.id === undefined) return;
      this.#pending.get(message.id)?.(message.result);
      this.#pending.delete(message.id);
    };
  }

  /**
   * Connects to the inspector on `hostPort`, retrying until `timeoutMs`, and starts profiling.
   * @throws {Error} when no inspector answered in time
   */
  static async start(hostPort: string, timeoutMs = 10_000): Promise<InspectorProfiler> {
    const deadline = performance.now() + timeoutMs;
    let url: string | undefined;
    while (url === undefined) {
      try {
        const res = await fetch(`http://${hostPort}/json/list`);
        const targets = (await res.json()) as { webSocketDebuggerUrl?: string }[];
        url = targets[0]?.webSocketDebuggerUrl;
      } catch {
        // Not listening yet.
      }
      if (url === undefined) {
        if (performance.now() > deadline) throw new Error(`No inspector on ${hostPort}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`Cannot connect to the inspector at ${url}`));
    });
    const profiler = new InspectorProfiler(ws);
    await profiler.#send("Profiler.enable");
    // 1 ms sampling: cheap enough for a process that mostly waits on the network.
    await profiler.#send("Profiler.setSamplingInterval", { interval: 1000 });
    await profiler.#send("Profiler.start");
    return profiler;
  }

  /** Stops profiling, returns the profile and closes the connection. */
  async stop(): Promise<CpuProfile> {
    try {
      const result = await this.#send("Profiler.stop") as { profile: CpuProfile };
      return result.profile;
    } finally {
      this.#ws.close();
    }
  }

  #send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#id;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }
}

/**
 * The `n` functions with the most self time, as shares of busy time: V8's
 * "(idle)" entry is left out, its "(program)" and "(garbage collector)" kept.
 */
export function hotFunctions(profile: CpuProfile, n = 15, root = ""): HotFunction[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = byNode.get(samples[i]);
    const dt = deltas[i + 1] ?? 0;
    if (!node || node.callFrame.functionName === "(idle)") continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith(root) && root !== "" ? url.slice(root.length) : url;
    const where = `${functionName || "(anonymous)"}${file ? ` (${file}:${lineNumber + 1})` : ""}`;
    selfUs.set(where, (selfUs.get(where) ?? 0) + dt);
    total += dt;
  }
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([where, us]) => ({ where, selfMs: us / 1000, share: total > 0 ? us / total : 0 }));
}
