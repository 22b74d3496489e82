/**
 * Connection settings, found the way kubectl finds them: an explicit file,
 * else the `KUBECONFIG` list, else `~/.kube/config`, else the in-cluster
 * service account. Certificates, tokens, token files and basic auth are read
 * here; credential plugins (exec, auth providers such as OIDC) are run by
 * `@kubernetes/client-node`, imported only when a kubeconfig uses one: it
 * costs about 80 MB of memory and 0.7 s of start-up (measured), which pgop
 * does not pay for the common cases.
 *
 * @module
 */
import { join } from "node:path";
import type { Clock } from "../clock.ts";
import { KubeconfigError } from "./errors.ts";
import { inClusterHost } from "./in_cluster_host.ts";
import { plainAuth, pluginAuth } from "./kubeconfig_auth.ts";
import { firstLine, type KubeconfigData, readKubeconfigFiles } from "./kubeconfig_file.ts";

/** Everything the REST client needs to reach and authenticate to one API server. */
export interface ConnectionConfig {
  /** Base URL without trailing slash, e.g. "https://10.0.0.1:6443". */
  readonly server: string;
  /** PEM of the CA that signed the server certificate (absent: system roots). */
  readonly caPem?: string;
  /** PEM client certificate and key for mutual TLS; both or neither. */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** The kubeconfig asked not to verify the server; Deno's fetch needs `--unsafely-ignore-certificate-errors` for it. */
  readonly insecureSkipTlsVerify: boolean;
  /**
   * The `Authorization` header value for the next request ("Bearer …" or
   * "Basic …"), or undefined for none. Call it per request: token files are
   * re-read and exec plugins re-run when their credential expires. Results are
   * reused for at most a second. Rejects with {@link KubeconfigError}.
   */
  authHeader(): Promise<string | undefined>;
  /** Name of the context in use ("inClusterContext" in a pod). */
  readonly context: string;
  /** Name of the kubeconfig user ("" when the context names none). */
  readonly user: string;
  /** The context's default namespace, if it sets one. */
  readonly namespace?: string;
  /** Where the settings came from: the kubeconfig path(s), or "in-cluster". */
  readonly source: string;
}

/** Options of {@link loadKubeconfig}. */
export interface LoadKubeconfigOptions {
  /** A kubeconfig file named on the command line; wins over `KUBECONFIG`. */
  readonly path?: string;
  /** Context to use instead of the file's `current-context`. */
  readonly context?: string;
  /** Prefix of `/var/run/secrets/kubernetes.io/serviceaccount` (tests only). */
  readonly inClusterRoot?: string;
  /** Clock of the credential cache. */
  readonly clock?: Clock;
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const SERVICE_ACCOUNT_TOKEN = `${SERVICE_ACCOUNT_DIR}/token`;

/**
 * Loads connection settings. Reads `KUBECONFIG`, `HOME`, and in a pod
 * `KUBERNETES_SERVICE_HOST`/`_PORT` from the environment. Several files in
 * `KUBECONFIG` merge as in kubectl: the first to define a name (or
 * `current-context`) wins; files that do not exist are skipped.
 *
 * @throws {KubeconfigError} with a one-line message naming the file and
 *   context, when no configuration is found, a file is unreadable or
 *   malformed, the context, cluster or user is missing, or a certificate
 *   cannot be read
 */
export async function loadKubeconfig(
  options: LoadKubeconfigOptions = {},
): Promise<ConnectionConfig> {
  const files = await kubeconfigFiles(options.path);
  if (files.length > 0) return await fromFiles(await readKubeconfigFiles(files), options);
  const root = options.inClusterRoot ?? "";
  if (!Deno.env.get("KUBERNETES_SERVICE_HOST") || !(await exists(root + SERVICE_ACCOUNT_TOKEN))) {
    throw new KubeconfigError(
      "No Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod",
    );
  }
  return await inCluster(root, options.clock);
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value ? value : undefined;

async function fromFiles(
  data: KubeconfigData,
  options: LoadKubeconfigOptions,
): Promise<ConnectionConfig> {
  const { source } = data;
  const contextName = options.context || data.currentContext;
  if (!contextName) {
    throw new KubeconfigError(`No current-context in kubeconfig ${source}; pass --context`);
  }
  const ctx = data.contexts.get(contextName);
  if (!ctx) throw new KubeconfigError(`Context "${contextName}" not found in kubeconfig ${source}`);
  const clusterName = text(ctx.cluster) ?? "";
  const cluster = data.clusters.get(clusterName);
  if (!cluster) {
    throw new KubeconfigError(
      `Context "${contextName}" names cluster "${clusterName}", which is not in ${source}`,
    );
  }
  const userName = text(ctx.user);
  const user = userName === undefined ? undefined : data.users.get(userName);
  if (userName !== undefined && !user) {
    throw new KubeconfigError(
      `Context "${contextName}" names user "${userName}", which is not in ${source}`,
    );
  }
  const where = `of context "${contextName}" in ${source}`;
  const server = text(cluster.server) ?? "";
  let url: URL;
  try {
    url = new URL(server);
  } catch (cause) {
    throw new KubeconfigError(`Server "${server}" ${where} is not a URL`, { cause });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new KubeconfigError(`Server "${server}" ${where} is not http(s)`);
  }
  const caPem = await pem(
    "certificate-authority",
    text(cluster["certificate-authority"]),
    text(cluster["certificate-authority-data"]),
    where,
  );
  const certPem = await pem(
    "client-certificate",
    text(user?.["client-certificate"]),
    text(user?.["client-certificate-data"]),
    where,
  );
  const keyPem = await pem(
    "client-key",
    text(user?.["client-key"]),
    text(user?.["client-key-data"]),
    where,
  );
  if ((certPem === undefined) !== (keyPem === undefined)) {
    throw new KubeconfigError(
      `User "${userName}" ${where} has a client certificate or key without the other`,
    );
  }
  const plugin = user?.exec !== undefined || user?.["auth-provider"] !== undefined;
  return {
    server: server.replace(/\/+$/, ""),
    caPem,
    certPem,
    keyPem,
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    authHeader: plugin
      ? await pluginAuth(server, userName ?? "", user ?? {}, where, options.clock)
      : plainAuth(user ?? {}, where, options.clock),
    context: contextName,
    user: userName ?? "",
    namespace: text(ctx.namespace)?.trim() || undefined,
    source,
  };
}

/** The service account a pod gets: its token (re-read, it rotates), CA and namespace. */
async function inCluster(root: string, clock?: Clock): Promise<ConnectionConfig> {
  const host = Deno.env.get("KUBERNETES_SERVICE_HOST") ?? "";
  const port = Deno.env.get("KUBERNETES_SERVICE_PORT") ?? "443";
  const dir = root + SERVICE_ACCOUNT_DIR;
  const where = "of the in-cluster service account";
  const namespace = await Deno.readTextFile(join(dir, "namespace")).then(
    (t) => t.trim() || undefined,
    () => undefined,
  );
  return {
    server: `https://${inClusterHost(host, port)}:${port}`,
    caPem: await pem("certificate-authority", join(dir, "ca.crt"), undefined, where),
    insecureSkipTlsVerify: false,
    authHeader: plainAuth({ "token-file": join(dir, "token") }, where, clock),
    context: "inClusterContext",
    user: "inClusterUser",
    namespace,
    source: "in-cluster",
  };
}

/** The files to read: the explicit one, else the existing `KUBECONFIG` entries, else `~/.kube/config`. */
async function kubeconfigFiles(explicit: string | undefined): Promise<string[]> {
  if (explicit) return [explicit];
  const list = Deno.env.get("KUBECONFIG");
  if (list) {
    const separator = Deno.build.os === "windows" ? ";" : ":";
    const files: string[] = [];
    for (const file of list.split(separator)) {
      if (file && !files.includes(file) && await exists(file)) files.push(file);
    }
    if (files.length === 0) {
      throw new KubeconfigError(`None of the KUBECONFIG files exist: "${list}"`);
    }
    return files;
  }
  // USERPROFILE only where it means something: a sandbox that grants just HOME must not throw.
  const home = Deno.env.get("HOME") ??
    (Deno.build.os === "windows" ? Deno.env.get("USERPROFILE") : undefined);
  const fallback = home ? join(home, ".kube", "config") : undefined;
  return fallback && await exists(fallback) ? [fallback] : [];
}

/** PEM text from a file path or base64 data (the file wins, as in client-node). */
async function pem(
  field: string,
  file: string | undefined,
  data: string | undefined,
  where: string,
): Promise<string | undefined> {
  if (file) {
    try {
      return await Deno.readTextFile(file);
    } catch (cause) {
      throw new KubeconfigError(`Cannot read ${field} "${file}" ${where}: ${firstLine(cause)}`, {
        cause,
      });
    }
  }
  if (!data) return undefined;
  try {
    return new TextDecoder().decode(
      Uint8Array.from(atob(data.replace(/\s+/g, "")), (c) => c.charCodeAt(0)),
    );
  } catch (cause) {
    throw new KubeconfigError(`${field}-data ${where} is not valid base64`, { cause });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
