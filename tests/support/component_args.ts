/**
 * The command lines of the local control plane's components.
 *
 * @module
 */
import { join } from "node:path";
import type { ClusterCerts } from "./certs.ts";

/** The Services' ClusterIP range. */
export const SERVICE_CIDR = "10.96.0.0/16";
/**
 * The `kubernetes` Service's ClusterIP (the first of {@link SERVICE_CIDR}):
 * `KUBERNETES_SERVICE_HOST` in every pod, and in the API server's certificate.
 */
export const KUBERNETES_SERVICE_IP = "10.96.0.1";

/** Where a cluster keeps its files and how it is reached. */
export interface Layout {
  readonly dir: string;
  readonly etcdUrl: string;
  readonly kubeconfigPath: string;
  readonly certs: ClusterCerts;
}

/** etcd on loopback with throwaway data. */
export function etcdArgs(c: Layout, peerPort: number): string[] {
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    "--name=default",
    `--data-dir=${join(c.dir, "etcd")}`,
    `--listen-client-urls=${c.etcdUrl}`,
    `--advertise-client-urls=${c.etcdUrl}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // Throwaway data: skip fsync (envtest does the same); not for real clusters.
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

/** kube-apiserver on 127.0.0.1 with its own certificates, RBAC and service-account keys. */
export function apiserverArgs(l: Layout, port: number, extra: readonly string[]): string[] {
  const c = l.certs;
  return [
    `--etcd-servers=${l.etcdUrl}`,
    "--bind-address=127.0.0.1",
    // Without it the API server looks for a default-route interface and fails on a host without one.
    "--advertise-address=127.0.0.1",
    // Endpoints may not point at loopback; no reconciler for the `kubernetes` Service's endpoints.
    "--endpoint-reconciler-type=none",
    `--secure-port=${port}`,
    `--cert-dir=${join(l.dir, "apiserver-certs")}`,
    `--tls-cert-file=${c.serverCert}`,
    `--tls-private-key-file=${c.serverKey}`,
    `--client-ca-file=${c.caCert}`,
    // A list flag: given twice its values add up, so `extra` may replace it.
    ...(extra.some((a) => a.startsWith("--authorization-mode"))
      ? []
      : ["--authorization-mode=RBAC"]),
    `--service-account-issuer=https://127.0.0.1:${port}`,
    `--service-account-key-file=${c.serviceAccountKey}`,
    `--service-account-signing-key-file=${c.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    "--allow-privileged=true",
    "--profiling=false",
    ...extra,
  ];
}

/**
 * kube-controller-manager with the default controllers, no leader election, no
 * serving port; without `storage`, also without the volume binder.
 */
export function controllerManagerArgs(l: Layout, options: { storage?: boolean } = {}): string[] {
  return [
    `--kubeconfig=${l.kubeconfigPath}`,
    "--leader-elect=false",
    // Without a provisioner the volume binder would retry every unbound claim of
    // every StatefulSet every 15 s, a load on the control plane no real cluster has.
    options.storage ? "--controllers=*" : "--controllers=*,-persistentvolume-binder-controller",
    `--service-account-private-key-file=${l.certs.serviceAccountKey}`,
    `--root-ca-file=${l.certs.caCert}`,
    "--use-service-account-credentials=false",
    "--bind-address=127.0.0.1",
    "--secure-port=0",
    // The default 20 QPS would make the control plane, not pgop, the bottleneck in load tests.
    "--kube-api-qps=500",
    "--kube-api-burst=1000",
    "--concurrent-statefulset-syncs=20",
    "--concurrent-gc-syncs=50",
  ];
}

/** kwok managing the nodes annotated `kwok.x-k8s.io/node=fake`, with pgop's stages. */
export function kwokArgs(l: Layout): string[] {
  return [
    `--kubeconfig=${l.kubeconfigPath}`,
    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    `--config=${join(l.dir, "kwok-stages.yaml")}`,
    "--cidr=10.244.0.0/16",
    "--node-ip=10.0.0.1",
  ];
}

/**
 * kube-apiserver's extra flags for real kubelets: the Node authorizer for
 * their `system:node:<name>` identities, its client certificate for calls to
 * them (exec, logs, port-forward), and their InternalIP (127.0.0.x) as the
 * address to call.
 */
export function realNodeApiserverArgs(kubeletClient: { cert: string; key: string }): string[] {
  return [
    "--authorization-mode=Node,RBAC",
    `--kubelet-client-certificate=${kubeletClient.cert}`,
    `--kubelet-client-key=${kubeletClient.key}`,
    "--kubelet-preferred-address-types=InternalIP",
  ];
}
