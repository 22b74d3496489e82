/**
 * Writes kubeconfig files the way kind does: CA data, client certificate and key data.
 *
 * @module
 */
import { stringify } from "yaml";

/** What a client-certificate kubeconfig holds. */
export interface KubeconfigParts {
  readonly server: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly name?: string;
  readonly user?: string;
  readonly namespace?: string;
}

const b64 = (s: string) => btoa(s);

/** The YAML text of a one-context kubeconfig. */
export function kubeconfigYaml(parts: KubeconfigParts): string {
  const name = parts.name ?? "pgop-local";
  const user = parts.user ?? "pgop-admin";
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name,
      cluster: { server: parts.server, "certificate-authority-data": b64(parts.caPem) },
    }],
    users: [{
      name: user,
      user: { "client-certificate-data": b64(parts.certPem), "client-key-data": b64(parts.keyPem) },
    }],
    contexts: [{
      name,
      context: { cluster: name, user, ...(parts.namespace ? { namespace: parts.namespace } : {}) },
    }],
    "current-context": name,
    preferences: {},
  });
}
