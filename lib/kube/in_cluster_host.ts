/**
 * Which host pgop connects to in a pod.
 *
 * @module
 */

/** The API server's Service, by name: the same in every cluster, and in its certificate. */
export const IN_CLUSTER_HOST = "kubernetes.default.svc";

function netAllowed(hostPort: string): boolean {
  return Deno.permissions.querySync({ name: "net", host: hostPort }).state === "granted";
}

/**
 * The API server's service IP from `KUBERNETES_SERVICE_HOST`, as client-go
 * uses it; but when pgop's sandbox does not allow connecting to that IP
 * (the compiled binary cannot know it in advance) and does allow the
 * service's name, the name: it resolves to the same IP in every cluster and
 * is in the API server's certificate.
 */
export function inClusterHost(
  host: string,
  port: string,
  allowed: (hostPort: string) => boolean = netAllowed,
): string {
  const ip = host.includes(":") ? `[${host}]` : host;
  return !allowed(`${ip}:${port}`) && allowed(`${IN_CLUSTER_HOST}:${port}`) ? IN_CLUSTER_HOST : ip;
}
