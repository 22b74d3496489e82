/**
 * Connection settings, found the way kubectl finds them: an explicit file,
 * else the `KUBECONFIG` list, else `~/.kube/config`, else the in-cluster
 * service account. Parsing and credential plugins (token files, exec, OIDC)
 * are `@kubernetes/client-node`'s `KubeConfig`; this module picks the context
 * and turns it into a plain {@link ConnectionConfig} for the REST client.
 *
 * @module
 */
import { KubeConfig } from "@kubernetes/client-node";
import type { RequestOptions as HttpsRequestOptions } from "node:https";
import { dirname, isAbsolute, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { type Clock, realClock } from "../clock.ts";
import { KubeconfigError } from "./errors.ts";

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

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/** How long an `Authorization` value from a plugin is reused, bounding file reads and staleness. */
const AUTH_CACHE_MS = 1000;

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
  let kc: KubeConfig;
  let source: string;
  if (files.length > 0) {
    source = files.map((f) => `"${f}"`).join(", ");
    kc = await loadFile(files[0]);
    for (const file of files.slice(1)) mergeInto(kc, await loadFile(file));
  } else {
    const root = options.inClusterRoot ?? "";
    if (!Deno.env.get("KUBERNETES_SERVICE_HOST") || !(await exists(root + SERVICE_ACCOUNT_TOKEN))) {
      throw new KubeconfigError(
        "No Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod",
      );
    }
    source = "in-cluster";
    kc = new KubeConfig();
    kc.loadFromCluster(root);
  }
  return await toConnectionConfig(kc, source, options);
}

async function toConnectionConfig(
  kc: KubeConfig,
  source: string,
  options: LoadKubeconfigOptions,
): Promise<ConnectionConfig> {
  // client-node leaves currentContext undefined when the file has none.
  const contextName: string | undefined = options.context || kc.getCurrentContext() || undefined;
  if (!contextName) {
    throw new KubeconfigError(`No current-context in kubeconfig ${source}; pass --context`);
  }
  const ctx = kc.getContextObject(contextName);
  if (!ctx) throw new KubeconfigError(`Context "${contextName}" not found in kubeconfig ${source}`);
  kc.setCurrentContext(contextName);
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster) {
    throw new KubeconfigError(
      `Context "${contextName}" names cluster "${ctx.cluster}", which is not in ${source}`,
    );
  }
  const user = ctx.user ? kc.getUser(ctx.user) : null;
  if (ctx.user && !user) {
    throw new KubeconfigError(
      `Context "${contextName}" names user "${ctx.user}", which is not in ${source}`,
    );
  }
  const where = `of context "${contextName}" in ${source}`;
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch (cause) {
    throw new KubeconfigError(`Server "${cluster.server}" ${where} is not a URL`, { cause });
  }
  if (server.protocol !== "https:" && server.protocol !== "http:") {
    throw new KubeconfigError(`Server "${cluster.server}" ${where} is not http(s)`);
  }
  const caPem = await pem("certificate-authority", cluster.caFile, cluster.caData, where);
  const certPem = await pem("client-certificate", user?.certFile, user?.certData, where);
  const keyPem = await pem("client-key", user?.keyFile, user?.keyData, where);
  if ((certPem === undefined) !== (keyPem === undefined)) {
    throw new KubeconfigError(
      `User "${ctx.user}" ${where} has a client certificate or key without the other`,
    );
  }
  return {
    server: cluster.server.replace(/\/+$/, ""),
    caPem,
    certPem,
    keyPem,
    insecureSkipTlsVerify: cluster.skipTLSVerify,
    authHeader: authHeaderFn(kc, Boolean(user?.exec || user?.authProvider), where, options.clock),
    context: contextName,
    user: ctx.user ?? "",
    namespace: ctx.namespace?.trim() || undefined,
    source,
  };
}

/** The static header, or a cached call into client-node's authenticators for plugin users. */
function authHeaderFn(
  kc: KubeConfig,
  plugin: boolean,
  where: string,
  clock: Clock = realClock,
): () => Promise<string | undefined> {
  const user = kc.getCurrentUser();
  if (!plugin) {
    let header: string | undefined;
    if (user?.token) header = `Bearer ${user.token.trim()}`;
    else if (user?.username) header = `Basic ${btoa(`${user.username}:${user.password ?? ""}`)}`;
    return () => Promise.resolve(header);
  }
  let cached: { readonly value: string | undefined; readonly at: number } | undefined;
  let inflight: Promise<string | undefined> | undefined;
  const fetchHeader = async (): Promise<string | undefined> => {
    const opts: HttpsRequestOptions = { headers: {} };
    try {
      await kc.applyToHTTPSOptions(opts);
    } catch (cause) {
      throw new KubeconfigError(
        `Cannot get credentials for user "${user?.name}" ${where}: ${message(cause)}`,
        {
          cause,
        },
      );
    }
    const value = (opts.headers as Record<string, unknown> | undefined)?.["Authorization"];
    // Token files usually end in a newline, which must not reach the header.
    if (typeof value === "string") return value.trim();
    return opts.auth ? `Basic ${btoa(opts.auth)}` : undefined;
  };
  return () => {
    if (cached && clock.now() - cached.at < AUTH_CACHE_MS) return Promise.resolve(cached.value);
    inflight ??= fetchHeader().then((value) => {
      cached = { value, at: clock.now() };
      return value;
    }).finally(() => inflight = undefined);
    return inflight;
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
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  const fallback = home ? join(home, ".kube", "config") : undefined;
  return fallback && await exists(fallback) ? [fallback] : [];
}

/**
 * Reads and checks one file, then hands it to client-node. A user's
 * `token-file` becomes a `tokenFile` auth provider with an absolute path, so
 * that it resolves against the file's directory (as in kubectl) and is
 * re-read while running (client-node would read it once, relative to the cwd).
 */
async function loadFile(file: string): Promise<KubeConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (cause) {
    throw new KubeconfigError(`Cannot read kubeconfig "${file}": ${message(cause)}`, { cause });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (cause) {
    throw new KubeconfigError(`Kubeconfig "${file}" is not valid YAML: ${message(cause)}`, {
      cause,
    });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new KubeconfigError(`Kubeconfig "${file}" is not a YAML mapping`);
  }
  const dir = dirname(file);
  const users: unknown = (doc as { users?: unknown }).users;
  if (Array.isArray(users)) {
    for (const entry of users) {
      const user: unknown = (entry as { user?: unknown } | null)?.user;
      if (typeof user !== "object" || user === null) continue;
      const u = user as Record<string, unknown>;
      const tokenFile = u["token-file"];
      if (typeof tokenFile !== "string" || u.token || u.exec || u["auth-provider"]) continue;
      delete u["token-file"];
      const path = isAbsolute(tokenFile) ? tokenFile : join(dir, tokenFile);
      u["auth-provider"] = { name: "tokenFile", config: { tokenFile: path } };
    }
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromString(JSON.stringify(doc));
  } catch (cause) {
    throw new KubeconfigError(`Kubeconfig "${file}" is invalid: ${message(cause)}`, { cause });
  }
  kc.makePathsAbsolute(dir);
  return kc;
}

/** kubectl's merge: entries and current-context already present win. */
function mergeInto(target: KubeConfig, other: KubeConfig): void {
  if (!target.getCurrentContext() && other.getCurrentContext()) {
    target.setCurrentContext(other.getCurrentContext());
  }
  for (const c of other.getClusters()) if (!target.getCluster(c.name)) target.addCluster(c);
  for (const u of other.getUsers()) if (!target.getUser(u.name)) target.addUser(u);
  for (const c of other.getContexts()) if (!target.getContextObject(c.name)) target.addContext(c);
}

/** PEM text from a file path or base64 data (the file wins, as in client-node). */
async function pem(
  field: string,
  file: string | undefined | null,
  data: string | undefined | null,
  where: string,
): Promise<string | undefined> {
  if (file) {
    try {
      return await Deno.readTextFile(file);
    } catch (cause) {
      throw new KubeconfigError(`Cannot read ${field} "${file}" ${where}: ${message(cause)}`, {
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

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0];
}
