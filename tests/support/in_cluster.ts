/**
 * pgop installed in the cluster as a user installs it (README, "Deploying"):
 * an overlay of deploy/ that only names the image, applied with
 * `kubectl apply -k`; and what tests/in_cluster_test.ts looks at from outside:
 * the replicas, the Lease, the metrics as Prometheus scrapes them, and the
 * token file the kubelet rotates.
 *
 * @module
 */
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { LocalCluster } from "./cluster.ts";
import { insecureGet } from "./insecure_https.ts";

/** deploy/ in this repository. */
export const DEPLOY_DIR = fileURLToPath(new URL("../../deploy/", import.meta.url));
/** The image deploy/ names, which an overlay replaces. */
export const DEPLOY_IMAGE = "ghcr.io/example/pgop";
/** pgop's namespace, Deployment and pods' labels in deploy/. */
export const PGOP_NAMESPACE = "pgop-system";
export const PGOP_DEPLOYMENT = "pgop-controller-manager";
export const PGOP_SELECTOR = "app.kubernetes.io/name=pgop,control-plane=controller-manager";

/**
 * The kustomization of an overlay in `dir` of `deploy/<mode>` with `image`
 * (`name:tag`) instead of deploy/'s: README's copy-paste step, as text.
 */
export function overlayKustomization(dir: string, mode: string, image: string): string {
  const colon = image.lastIndexOf(":");
  return [
    "apiVersion: kustomize.config.k8s.io/v1beta1",
    "kind: Kustomization",
    "resources:",
    `  - ${relative(dir, join(DEPLOY_DIR, mode))}`,
    "images:",
    `  - name: ${DEPLOY_IMAGE}`,
    `    newName: ${image.slice(0, colon)}`,
    `    newTag: "${image.slice(colon + 1)}"`,
    "",
  ].join("\n");
}

/** Writes the overlay into `dir` and applies it with `kubectl apply -k`. */
export async function applyOverlay(
  cluster: LocalCluster,
  dir: string,
  mode: string,
  image: string,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "kustomization.yaml"), overlayKustomization(dir, mode, image));
  await cluster.kubectl(["apply", "-k", dir]);
}

/** One pgop pod as `kubectl get pods` shows it. */
export interface PgopPod {
  readonly name: string;
  readonly uid: string;
  readonly ip: string;
  readonly node: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly deleting: boolean;
  readonly image: string;
}

/** pgop's pods (deploy/'s labels), with readiness. */
export async function pgopPods(cluster: LocalCluster): Promise<PgopPod[]> {
  const list = JSON.parse(
    await cluster.kubectl(["get", "pods", "-n", PGOP_NAMESPACE, "-l", PGOP_SELECTOR, "-o", "json"]),
  );
  // deno-lint-ignore no-explicit-any
  return list.items.map((p: any): PgopPod => ({
    name: p.metadata.name,
    uid: p.metadata.uid,
    ip: p.status?.podIP ?? "",
    node: p.spec?.nodeName ?? "",
    // deno-lint-ignore no-explicit-any
    ready: p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ??
      false,
    restarts: p.status?.containerStatuses?.[0]?.restartCount ?? 0,
    deleting: p.metadata.deletionTimestamp !== undefined,
    image: p.spec?.containers?.[0]?.image ?? "",
  }));
}

/** A field of pgop's Lease, by its JSONPath under `.spec` (e.g. `holderIdentity`). */
export function leaseField(cluster: LocalCluster, field: string): Promise<string> {
  return cluster.kubectl([
    "get",
    "lease",
    "pgop-leader",
    "-n",
    PGOP_NAMESPACE,
    "-o",
    `jsonpath={.spec.${field}}`,
  ]);
}

/** The pod named by the Lease's holder identity (`<pod>_<suffix>`), or "" without one. */
export async function leaderPod(cluster: LocalCluster): Promise<string> {
  const holder = await leaseField(cluster, "holderIdentity").catch(() => "");
  return podOfIdentity(holder.trim());
}

/** The pod of a leader identity (`<pod>_<suffix>`: pgop adds a suffix per process). */
export function podOfIdentity(identity: string): string {
  const at = identity.lastIndexOf("_");
  return at < 0 ? identity : identity.slice(0, at);
}

/** GET `https://<pod>:8443/metrics` as Prometheus does: the pod's IP, a bearer token, no CA. */
export function scrapeMetrics(
  pod: PgopPod,
  token?: string,
): Promise<{ status: number; body: string }> {
  return insecureGet(
    `https://${pod.ip}:8443/metrics`,
    token === undefined ? {} : { authorization: `Bearer ${token}` },
  );
}

/** The `jti` of a JWT (the API server's audit log names a token by it: `JTI=<jti>`). */
export function tokenId(jwt: string): string {
  const payload = jwt.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
  return String(JSON.parse(atob(payload)).jti);
}

/**
 * Puts `token` in a pod's projected service-account volume the way the
 * kubelet's atomic writer does when it rotates it: the new files in a new
 * timestamped directory, `..data` switched to it by one rename, the old
 * directory removed. `volumeDir` is the volume's directory on the node.
 * Returns false when the volume already holds `token` (the kubelet writes its
 * own token back when it next syncs the volume: call this until pgop has used it).
 */
export async function rotateProjectedToken(volumeDir: string, token: string): Promise<boolean> {
  const current = await Deno.readLink(join(volumeDir, "..data"));
  if ((await Deno.readTextFile(join(volumeDir, current, "token"))) === token) return false;
  const next = `..${new Date().toISOString().replace(/\D/g, "_")}.pgop`;
  await Deno.mkdir(join(volumeDir, next));
  for (const file of ["ca.crt", "namespace"]) {
    await Deno.copyFile(join(volumeDir, current, file), join(volumeDir, next, file));
  }
  const old = await Deno.stat(join(volumeDir, current, "token"));
  await Deno.writeTextFile(join(volumeDir, next, "token"), token, { mode: old.mode ?? 0o600 });
  if (old.uid !== null && old.gid !== null) {
    await Deno.chown(join(volumeDir, next, "token"), old.uid, old.gid);
  }
  await Deno.symlink(next, join(volumeDir, "..data_tmp"));
  await Deno.rename(join(volumeDir, "..data_tmp"), join(volumeDir, "..data"));
  await Deno.remove(join(volumeDir, current), { recursive: true });
  return true;
}

/** The directory of pod `uid`'s service-account volume (`kube-api-access-*`) under a kubelet root. */
export async function serviceAccountVolume(kubeletRoot: string, uid: string): Promise<string> {
  const projected = join(kubeletRoot, "pods", uid, "volumes", "kubernetes.io~projected");
  for await (const entry of Deno.readDir(projected)) {
    if (entry.name.startsWith("kube-api-access-")) return join(projected, entry.name);
  }
  throw new Error(`No kube-api-access volume in ${projected}`);
}
