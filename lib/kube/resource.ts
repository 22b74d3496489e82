/**
 * Resource descriptors: what a REST path is made of, and the ones pgop uses.
 *
 * @module
 */

/** A Kubernetes API resource (one REST collection). */
export interface Resource {
  /** API group; "" for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural lower-case name used in paths, e.g. "statefulsets". */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** `apiVersion` as written in objects: "v1" or "apps/v1". */
export function apiVersionOf(resource: Resource): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

/** A short name for logs and metrics labels: "statefulsets.apps", "secrets". */
export function resourceLabel(resource: Resource): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

/**
 * The REST path of a collection or an object, without query.
 * @throws {RangeError} when a namespaced object is addressed without namespace
 */
export function resourcePath(
  resource: Resource,
  target: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  const base = resource.group
    ? `/apis/${resource.group}/${resource.version}`
    : `/api/${resource.version}`;
  let path = base;
  if (resource.namespaced && target.namespace) {
    path += `/namespaces/${encodeURIComponent(target.namespace)}`;
  } else if (resource.namespaced && target.name) {
    throw new RangeError(`Namespace is required for ${resourceLabel(resource)} "${target.name}"`);
  }
  path += `/${resource.plural}`;
  if (target.name) path += `/${encodeURIComponent(target.name)}`;
  if (target.subresource) path += `/${target.subresource}`;
  return path;
}

const core = (plural: string, kind: string, namespaced = true): Resource => ({
  group: "",
  version: "v1",
  plural,
  kind,
  namespaced,
});

/** The resources pgop reads and writes. */
export const Resources = {
  databases: {
    group: "database.example.com",
    version: "v1",
    plural: "databases",
    kind: "Database",
    namespaced: true,
  },
  statefulSets: {
    group: "apps",
    version: "v1",
    plural: "statefulsets",
    kind: "StatefulSet",
    namespaced: true,
  },
  services: core("services", "Service"),
  secrets: core("secrets", "Secret"),
  pods: core("pods", "Pod"),
  configMaps: core("configmaps", "ConfigMap"),
  persistentVolumeClaims: core("persistentvolumeclaims", "PersistentVolumeClaim"),
  events: core("events", "Event"),
  namespaces: core("namespaces", "Namespace", false),
  nodes: core("nodes", "Node", false),
  leases: {
    group: "coordination.k8s.io",
    version: "v1",
    plural: "leases",
    kind: "Lease",
    namespaced: true,
  },
  customResourceDefinitions: {
    group: "apiextensions.k8s.io",
    version: "v1",
    plural: "customresourcedefinitions",
    kind: "CustomResourceDefinition",
    namespaced: false,
  },
} as const satisfies Record<string, Resource>;
