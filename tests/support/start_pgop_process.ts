/**
 * Starting pgop as a child process against a local control plane (see
 * `pgop_process.ts` for what a test can do with it).
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { LocalCluster } from "./cluster.ts";
import { MAIN_PATH } from "./pgop.ts";
import { PgopProcess } from "./pgop_process.ts";
import { LAG_OBSERVER_OFF, localPermissions, pgopRunFlags } from "./pgop_runtime.ts";

const REPO_ROOT = dirname(MAIN_PATH);

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
    LAG_OBSERVER_OFF,
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
