/**
 * The API server as pods reach it. It listens on 127.0.0.1 only, and pods
 * cannot reach the host's loopback. So the harness listens on one more
 * address, the first node's bridge address (which exists only on this
 * machine, for its pods), at the API server's port, and passes each
 * connection through unchanged to 127.0.0.1 (TLS stays end to end between
 * the pod and the API server). The `kubernetes` Service's endpoint is set to
 * that address (the API server's own endpoint reconciler is off: it would
 * advertise loopback), so kube-proxy sends `KUBERNETES_SERVICE_HOST:443`
 * (10.96.0.1) there, and the name `kubernetes.default.svc` resolves to it
 * through the cluster's DNS. The serving certificate names both (certs.ts).
 * No external interface listens, and the egress guard still drops all that
 * leaves the machine.
 *
 * @module
 */
import { stringify } from "yaml";
import { Forwarder } from "../forwarder.ts";
import type { Kubectl } from "./real_node_access.ts";

/** Labels of the endpoints the harness writes, so that no controller takes them over. */
const MANAGED_BY = "pgop-tests";

/** The `kubernetes` Service's endpoints: `ip:port`, as the API server's reconciler would write them. */
export function kubernetesEndpoints(ip: string, port: number): unknown[] {
  const ports = [{ name: "https", port, protocol: "TCP" }];
  return [
    {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: {
        name: "kubernetes",
        namespace: "default",
        // The EndpointSlice below is written directly: no mirrored copy.
        labels: { "endpointslice.kubernetes.io/skip-mirror": "true" },
      },
      subsets: [{ addresses: [{ ip }], ports }],
    },
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: "kubernetes",
        namespace: "default",
        labels: {
          "kubernetes.io/service-name": "kubernetes",
          "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
        },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports,
    },
  ];
}

/** The API server reachable from pods at `bridgeIp:port`; {@link close} stops it. */
export class ApiServerBridge {
  readonly #forwarder: Forwarder;

  private constructor(forwarder: Forwarder) {
    this.#forwarder = forwarder;
  }

  /** Listens on `bridgeIp:port` → `127.0.0.1:port`, and points the `kubernetes` Service there. */
  static async start(kubectl: Kubectl, bridgeIp: string, port: number): Promise<ApiServerBridge> {
    const forwarder = new Forwarder({ hostname: bridgeIp, port });
    forwarder.target = port;
    try {
      await kubectl(["apply", "--server-side", `--field-manager=${MANAGED_BY}`, "-f", "-"], {
        input: kubernetesEndpoints(bridgeIp, port).map((o) => stringify(o)).join("---\n"),
      });
    } catch (err) {
      await forwarder.close();
      throw err;
    }
    return new ApiServerBridge(forwarder);
  }

  /** Stops listening and drops every connection through it. */
  close(): Promise<void> {
    return this.#forwarder.close();
  }
}
