/**
 * pgop's least-privilege identity from deploy/: install the Namespace and RBAC,
 * and write a kubeconfig with a real token of the pgop ServiceAccount (what a
 * pod gets).
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import type { LocalCluster } from "./cluster.ts";

const DEPLOY = fileURLToPath(new URL("../../deploy/", import.meta.url));

/** The ServiceAccount's user name, as RBAC and `kubectl auth can-i --as` know it. */
export const SERVICE_ACCOUNT_USER = "system:serviceaccount:pgop-system:pgop";

/** Applies deploy/namespace.yaml and deploy/rbac.yaml. */
export async function installRbac(cluster: LocalCluster): Promise<void> {
  await cluster.kubectl([
    "apply",
    "-f",
    join(DEPLOY, "namespace.yaml"),
    "-f",
    join(DEPLOY, "rbac.yaml"),
  ]);
}

/** A kubeconfig authenticating with a fresh token of ServiceAccount pgop-system/pgop. Call {@link installRbac} first. */
export async function serviceAccountKubeconfig(cluster: LocalCluster): Promise<string> {
  const token = (await cluster.kubectl(["create", "token", "pgop", "-n", "pgop-system"])).trim();
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw new Error(`Not a JWT: "${token}"`);
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
