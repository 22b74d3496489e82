/**
 * pgop's least-privilege identity from deploy/: install an install mode
 * (deploy/cluster-wide or deploy/namespaced, built by kubectl's own
 * kustomize), and write a kubeconfig with a real token of a ServiceAccount
 * (what a pod gets, through the TokenRequest API).
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, stringify } from "yaml";
import type { LocalCluster } from "./cluster.ts";

const DEPLOY = fileURLToPath(new URL("../../deploy/", import.meta.url));

/** The ServiceAccount's user name, as RBAC and `kubectl auth can-i --as` know it. */
export const SERVICE_ACCOUNT_USER = "system:serviceaccount:pgop-system:pgop";

/** deploy/'s two install modes. */
export type InstallMode = "cluster-wide" | "namespaced";

/** The namespaces deploy/namespaced watches; they must exist before it is applied. */
export const WATCHED_NAMESPACES = ["team-a", "team-b"] as const;

const RBAC_KINDS = new Set([
  "Namespace",
  "ServiceAccount",
  "Role",
  "RoleBinding",
  "ClusterRole",
  "ClusterRoleBinding",
]);

/** The objects of `kubectl kustomize deploy/<mode>`. */
export async function buildMode(
  cluster: LocalCluster,
  mode: InstallMode,
): Promise<Record<string, unknown>[]> {
  const text = await cluster.kubectl(["kustomize", join(DEPLOY, mode)]);
  return parseAllDocuments(text).map((d) => d.toJSON() as Record<string, unknown>);
}

/** Creates the watched namespaces of deploy/namespaced that do not exist yet. */
async function createWatchedNamespaces(cluster: LocalCluster): Promise<void> {
  const manifests = WATCHED_NAMESPACES.map((name) =>
    stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } })
  );
  await cluster.kubectl(["apply", "-f", "-"], { input: manifests.join("---\n") });
}

/**
 * `kubectl apply -k deploy/<mode>`: everything, the Deployment included (kwok
 * plays its pods; nothing runs pgop's image here). For the namespaced mode
 * its namespaces are created first, as an admin would.
 */
export async function installDeploy(cluster: LocalCluster, mode: InstallMode): Promise<void> {
  if (mode === "namespaced") await createWatchedNamespaces(cluster);
  await cluster.kubectl(["apply", "-k", join(DEPLOY, mode)]);
}

/** Only the Namespace, ServiceAccount and RBAC objects of deploy/<mode> (default cluster-wide). */
export async function installRbac(
  cluster: LocalCluster,
  mode: InstallMode = "cluster-wide",
): Promise<void> {
  if (mode === "namespaced") await createWatchedNamespaces(cluster);
  const objects = (await buildMode(cluster, mode)).filter((o) => RBAC_KINDS.has(String(o.kind)));
  await cluster.kubectl(["apply", "-f", "-"], {
    input: objects.map((o) => stringify(o)).join("---\n"),
  });
}

/** A fresh token of ServiceAccount `namespace/name` (TokenRequest, as the kubelet gets one). */
export async function serviceAccountToken(
  cluster: LocalCluster,
  name = "pgop",
  namespace = "pgop-system",
): Promise<string> {
  const token = (await cluster.kubectl(["create", "token", name, "-n", namespace])).trim();
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw new Error(`Not a JWT: "${token}"`);
  return token;
}

/** A kubeconfig authenticating with a fresh token of ServiceAccount pgop-system/pgop. Call {@link installRbac} first. */
export async function serviceAccountKubeconfig(cluster: LocalCluster): Promise<string> {
  const token = await serviceAccountToken(cluster);
  const path = join(cluster.dir, "pgop-sa.kubeconfig");
  await Deno.writeTextFile(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{
        name: "local",
        cluster: {
          server: cluster.server,
          "certificate-authority-data": btoa(cluster.certs.pem.ca),
        },
      }],
      users: [{ name: "pgop", user: { token } }],
      contexts: [{ name: "pgop", context: { cluster: "local", user: "pgop" } }],
      "current-context": "pgop",
    }),
  );
  return path;
}

/**
 * Creates ServiceAccount `namespace/name`, bound to `clusterRole` when given
 * (e.g. deploy/'s pgop-metrics-reader, as for a Prometheus), and returns a
 * fresh token of it.
 */
export async function createServiceAccount(
  cluster: LocalCluster,
  name: string,
  options: { namespace?: string; clusterRole?: string } = {},
): Promise<string> {
  const namespace = options.namespace ?? "default";
  await cluster.kubectl(["create", "serviceaccount", name, "-n", namespace]);
  if (options.clusterRole) {
    await cluster.kubectl([
      "create",
      "clusterrolebinding",
      `${namespace}-${name}-${options.clusterRole}`,
      `--clusterrole=${options.clusterRole}`,
      `--serviceaccount=${namespace}:${name}`,
    ]);
  }
  return await serviceAccountToken(cluster, name, namespace);
}
