/**
 * Things a few tests do to a local control plane beyond starting it: etcd's
 * history compacted (for 410 Gone), and a kubeconfig for another user.
 *
 * @module
 */
import { join } from "node:path";
import { issueClientCert } from "./certs.ts";
import type { LocalCluster } from "./cluster.ts";
import { kubeconfigYaml } from "./kubeconfig.ts";

/**
 * Compacts etcd's history up to its current revision (through etcd's JSON
 * gateway), so that watches from an older resourceVersion get 410 Gone when
 * the API server's watch cache does not hide it. Returns the revision.
 */
export async function compactEtcd(cluster: Pick<LocalCluster, "etcdUrl">): Promise<number> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${cluster.etcdUrl}${path}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`etcd ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  const range = await post("/v3/kv/range", { key: btoa("compact_rev_key") });
  const revision = Number(range.header.revision);
  await post("/v3/kv/compaction", { revision: String(revision), physical: true });
  return revision;
}

/** Writes a kubeconfig for another user (client certificate signed by the cluster CA). */
export async function userKubeconfig(
  cluster: Pick<LocalCluster, "dir" | "server" | "certs">,
  user: string,
  groups: string[] = [],
): Promise<string> {
  const safe = user.replace(/[^a-zA-Z0-9_-]/g, "_");
  const { cert, key } = await issueClientCert(cluster.dir, `user-${safe}`, user, groups);
  const path = join(cluster.dir, `user-${safe}.kubeconfig`);
  await Deno.writeTextFile(
    path,
    kubeconfigYaml({
      server: cluster.server,
      caPem: cluster.certs.pem.ca,
      certPem: cert,
      keyPem: key,
      user,
    }),
  );
  return path;
}
