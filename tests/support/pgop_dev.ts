/**
 * `deno task pgop [flags]`: pgop against the cluster of a kubeconfig, in its
 * sandbox. The permissions pgop needs depend on that cluster (the API
 * server's address) and on the flags (the listen addresses, the certificate
 * directory), so this launcher reads them, builds pgop's permissions with
 * {@link targetFor}, and runs `deno run <those permissions> main.ts <flags>`,
 * passing signals on. pgop itself never gets more than those; this launcher
 * may read files (the kubeconfig and what it names) and run only that Deno.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { type Config, CONFIG_ENV, parseConfig } from "../../lib/config.ts";
import { LAG_OBSERVER_OFF, pgopPermissions, pgopRunFlags, targetFor } from "./pgop_runtime.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
/** The repository's Deno, by the path deno.json's `--allow-run` names (not the resolved one). */
const DENO = fileURLToPath(new URL("../../node_modules/.bin/deno", import.meta.url));

/** The kubeconfig files pgop would read: `--kubeconfig`, else `KUBECONFIG`'s existing entries, else ~/.kube/config. */
function kubeconfigFiles(config: Config): string[] {
  if (config.kubeconfig) return [config.kubeconfig];
  const exists = (f: string) => {
    try {
      return Deno.statSync(f).isFile;
    } catch {
      return false;
    }
  };
  const list = Deno.env.get("KUBECONFIG");
  if (list) return list.split(":").filter((f) => f && exists(f));
  const home = Deno.env.get("HOME");
  const fallback = home ? join(home, ".kube", "config") : "";
  return fallback && exists(fallback) ? [fallback] : [];
}

async function main(given: string[]): Promise<number> {
  const env = Object.fromEntries(CONFIG_ENV.map((name) => [name, Deno.env.get(name)]));
  // The lag observer is off unless asked for: `deno task cluster up` makes kwok pods, whose IPs are not real.
  const off = env.PGOP_REPLICATION_LAG_INTERVAL === undefined ? [LAG_OBSERVER_OFF] : [];
  const args = [...off, ...given];
  const config = parseConfig(args, env);
  const flags = config === "help" ? pgopRunFlags() : pgopRunFlags(
    pgopPermissions(
      await targetFor(config, kubeconfigFiles(config)).catch((error) => {
        throw new Error(
          `deno task pgop needs a kubeconfig (--kubeconfig, KUBECONFIG or ~/.kube/config): ${
            error instanceof Error ? error.message : error
          }`,
        );
      }),
    ),
  );
  const child = new Deno.Command(DENO, {
    args: ["run", "--frozen", "--no-prompt", ...flags, MAIN, ...args],
    stdin: "null",
  }).spawn();
  const forward = (signal: Deno.Signal) => () => child.kill(signal);
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    return (await child.status).code;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`pgop: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
