/**
 * Real PostgreSQL instances on this machine, each run by pgop's instance
 * script (`lib/database/instance_script.ts`) as a pod would run it: its role
 * label and annotations in files shaped like the downward-API volume, its
 * termination message in a file, a "container restart" as a new process.
 * A TCP forwarder stands for the `NAME-rw` Service. Everything is on loopback
 * in one temporary directory, run as an unprivileged user (initdb refuses
 * root), and removed on stop; processes get SIGTERM when the test runner
 * dies (`setpriv --pdeathsig`), and the next run reaps what is left.
 *
 * @module
 */
import { join } from "node:path";
import { compactScript } from "../../lib/database/instance_script.ts";
import { REPLICAS_ANNOTATION, ROLE_LABEL } from "../../lib/database/roles.ts";
import { forgetCluster, reapStaleClusters, rememberCluster } from "./reaper.ts";
import { Component } from "./process.ts";
import { freePorts } from "./ports.ts";
import { Forwarder } from "./forwarder.ts";
import { waitUntil } from "./wait.ts";

const ONE_MINUTE = { timeoutMs: 60_000 };

/** The directory of PostgreSQL's programs (the newest major version installed), if any. */
export function postgresBinDir(): string | undefined {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")]
      .map((e) => e.name).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = `/usr/lib/postgresql/${v}/bin`;
      if (Deno.statSync(join(dir, "pg_basebackup")).isFile) return dir;
    }
  } catch {
    // No PostgreSQL server package.
  }
  return undefined;
}

async function output(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" })
    .output();
  return new TextDecoder().decode(stdout).trim();
}

/** Options of {@link InstanceSet}. */
export interface InstanceSetOptions {
  readonly binDir: string;
  /** StatefulSet name; pods are `<name>-<i>`. */
  readonly name?: string;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly replicationPassword?: string;
}

/** One pod's worth: its directories, port and current process. */
export class Instance {
  readonly ordinal: number;
  readonly pod: string;
  readonly port: number;
  readonly dir: string;
  readonly env: Record<string, string>;
  #labels: Record<string, string> = {};
  #annotations: Record<string, string> = {};
  process: Component | undefined;
  #starts = 0;
  readonly #set: InstanceSet;

  constructor(set: InstanceSet, ordinal: number, port: number, env: Record<string, string>) {
    this.#set = set;
    this.ordinal = ordinal;
    this.pod = `${set.name}-${ordinal}`;
    this.port = port;
    this.dir = join(set.dir, this.pod);
    this.env = env;
  }

  /** Sets the role label, as pgop's pod patch and the kubelet's volume refresh would. */
  async label(role: "primary" | "replica" | undefined): Promise<void> {
    this.#labels = { ...this.#labels };
    if (role === undefined) delete this.#labels[ROLE_LABEL];
    else this.#labels[ROLE_LABEL] = role;
    await this.#writeMeta("labels", this.#labels);
  }

  /** Sets (or with undefined removes) annotations. */
  async annotate(annotations: Record<string, string | undefined>): Promise<void> {
    const next: Record<string, string> = { ...this.#annotations };
    for (const [k, v] of Object.entries(annotations)) {
      if (v === undefined) delete next[k];
      else next[k] = v;
    }
    this.#annotations = next;
    await this.#writeMeta("annotations", next);
  }

  /** The kubelet writes the files atomically (a symlink swap); a rename does the same here. */
  async #writeMeta(file: string, values: Record<string, string>): Promise<void> {
    const text = Object.keys(values).sort().map((k) => `${k}=${JSON.stringify(values[k])}\n`)
      .join("");
    const tmp = join(this.dir, "meta", `.${file}.tmp`);
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, join(this.dir, "meta", file));
  }

  /** Starts (or restarts, like the kubelet after an exit) the instance script. */
  start(): Component {
    if (this.process && !this.process.exited) throw new Error(`${this.pod} is running`);
    this.#starts++;
    this.process = Component.start(
      this.pod,
      "setpriv",
      [...this.#set.setprivArgs, "sh", "-c", 'eval "$PGOP_SCRIPT"', "pgop-instance", "run"],
      { logFile: join(this.dir, "log"), env: this.env },
    );
    return this.process;
  }

  /** Runs a probe (`ready` or `alive`), as the kubelet would; true when it passes. */
  async probe(kind: "ready" | "alive"): Promise<boolean> {
    const { code } = await new Deno.Command("setpriv", {
      args: [...this.#set.setprivArgs, "sh", "-c", 'eval "$PGOP_SCRIPT"', "pgop-instance", kind],
      env: this.env,
      clearEnv: true,
      stdout: "null",
      stderr: "null",
    }).output();
    return code === 0;
  }

  /** The termination message of the last exit (`/dev/termination-log`). */
  async terminationMessage(): Promise<string> {
    return await Deno.readTextFile(join(this.dir, "termination-log")).catch(() => "");
  }

  /** Runs SQL as the application user over TCP; returns psql's unaligned output. */
  async sql(sql: string, port = this.port): Promise<string> {
    return await this.#set.sql(port, sql);
  }

  /** The last lines of the script's and PostgreSQL's log. */
  tail(lines = 40): Promise<string> {
    return this.process?.tail(lines) ?? Promise.resolve("(never started)");
  }

  /** The postmaster's pid while its data directory says one runs. */
  async postmasterPid(): Promise<number | undefined> {
    const text = await Deno.readTextFile(join(this.env.PGDATA, "postmaster.pid")).catch(() => "");
    const pid = Number(text.split("\n")[0]);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  }
}

/** Instances of one "StatefulSet", their "Service", and their clean-up. */
export class InstanceSet {
  readonly name: string;
  readonly dir: string;
  readonly instances: Instance[] = [];
  readonly rw = new Forwarder();
  readonly setprivArgs: string[];
  readonly #o: InstanceSetOptions;

  private constructor(dir: string, setprivArgs: string[], options: InstanceSetOptions) {
    this.dir = dir;
    this.setprivArgs = setprivArgs;
    this.name = options.name ?? "db";
    this.#o = options;
  }

  /** Makes the directory (owned by the unprivileged user) and `count` instances. */
  static async create(count: number, options: InstanceSetOptions): Promise<InstanceSet> {
    await reapStaleClusters();
    const dir = await Deno.makeTempDir({ prefix: "pgop-instances-" });
    await rememberCluster(dir);
    let setpriv = ["--pdeathsig=SIGTERM"];
    let owner: [number, number] | undefined;
    if (Deno.uid() === 0) {
      const uid = Number(await output("id", ["-u", "postgres"])) || 65534;
      const gid = Number(await output("id", ["-g", "postgres"])) || 65534;
      owner = [uid, gid];
      setpriv = [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", ...setpriv];
    }
    const set = new InstanceSet(dir, [...setpriv, "--"], options);
    const ports = freePorts(count);
    for (let i = 0; i < count; i++) {
      const pod = `${set.name}-${i}`;
      const home = join(dir, pod);
      for (const sub of ["", "meta", "run", "sock", "data"]) {
        await Deno.mkdir(join(home, sub), { recursive: true });
      }
      await Deno.writeTextFile(join(home, "termination-log"), "");
      const instance = new Instance(set, i, ports[i], {
        PATH: `${options.binDir}:/usr/bin:/bin`,
        LC_ALL: "C.UTF-8",
        HOME: join(home, "run"),
        PGDATA: join(home, "data", "pgdata"),
        PGHOST: join(home, "sock"),
        PGPORT: String(ports[i]),
        POSTGRES_USER: options.user ?? "app",
        POSTGRES_PASSWORD: options.password ?? "app-password",
        POSTGRES_DB: options.database ?? "appdb",
        PGOP_SCRIPT: compactScript(),
        PGOP_POD_NAME: pod,
        PGOP_META: join(home, "meta"),
        PGOP_RUN_DIR: join(home, "run"),
        PGOP_TERMINATION_LOG: join(home, "termination-log"),
        PGOP_LISTEN: "127.0.0.1",
        PGOP_PRIMARY_HOST: "127.0.0.1",
        PGOP_PRIMARY_PORT: String(set.rw.port),
        PGOP_REPLICATION_PASSWORD: options.replicationPassword ?? "repl-pass:w'rd",
        PGOP_INTERVAL: "0.2",
      });
      await instance.label(undefined);
      await instance.annotate({});
      set.instances.push(instance);
    }
    if (owner) await chownTree(dir, owner);
    return set;
  }

  /** psql as the application user to 127.0.0.1:`port`. */
  async sql(port: number, sql: string): Promise<string> {
    const { code, stdout, stderr } = await new Deno.Command(join(this.#o.binDir, "psql"), {
      args: [
        "-X",
        "-q",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        this.#o.user ?? "app",
        "-d",
        this.#o.database ?? "appdb",
        "-c",
        sql,
      ],
      env: { PGPASSWORD: this.#o.password ?? "app-password", PGCONNECT_TIMEOUT: "5" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b).trim();
    if (code !== 0) throw new Error(`psql on port ${port} failed: ${decode(stderr)}`);
    return decode(stdout);
  }

  /**
   * The first two instances as a ready primary behind {@link rw} and a
   * standby streaming from it (each waited for, at most a minute).
   */
  async streamingPair(): Promise<[Instance, Instance]> {
    const [a, b] = this.instances;
    for (const i of [a, b]) await i.annotate({ [REPLICAS_ANNOTATION]: "2" });
    await a.label("primary");
    a.start();
    await waitUntil(`${a.pod} to be a ready primary`, () => a.probe("ready"), ONE_MINUTE);
    this.rw.target = a.port;
    await b.label("replica");
    b.start();
    await waitUntil(`${b.pod} to stream`, () => b.probe("ready"), ONE_MINUTE);
    return [a, b];
  }

  /** Stops every instance (SIGTERM, the script's fast shutdown), kills what is left, removes all. */
  async stop(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.process?.stop(20_000)));
    for (const instance of this.instances) {
      const pid = await instance.postmasterPid();
      const cmdline = pid === undefined
        ? undefined
        : await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => undefined);
      if (pid !== undefined && cmdline?.includes(this.dir)) Deno.kill(pid, "SIGKILL");
    }
    await this.rw.close();
    await Deno.remove(this.dir, { recursive: true });
    await forgetCluster(this.dir);
  }
}

async function chownTree(path: string, [uid, gid]: [number, number]): Promise<void> {
  await Deno.chown(path, uid, gid);
  for await (const entry of Deno.readDir(path)) {
    const child = join(path, entry.name);
    if (entry.isDirectory) await chownTree(child, [uid, gid]);
    else await Deno.chown(child, uid, gid);
  }
}
