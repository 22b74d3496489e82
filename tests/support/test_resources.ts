/**
 * Resources that end-to-end tests of the client and the cache create on a
 * local control plane: ConfigMaps (built in, cheap), a small test CRD
 * `widgets.test.pgop.dev` with a selectable `spec.environment` field and a
 * status subresource, and namespaces.
 *
 * @module
 */
import type { ConfigMap } from "kubernetes-types/core/v1.d.ts";
import { isAlreadyExists } from "../../lib/kube/errors.ts";
import { type Resource, Resources } from "../../lib/kube/resource.ts";
import type { KubeClient, KubeObject } from "../../lib/kube/types.ts";
import { objectKey } from "../../lib/cache/store.ts";
import { waitUntil } from "./wait.ts";

export type { ConfigMap };

/** Core v1 ConfigMaps. */
export const ConfigMaps: Resource = {
  group: "",
  version: "v1",
  plural: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
};

/** The test CRD's resource: namespaced `widgets.test.pgop.dev/v1`. */
export const Widgets: Resource = {
  group: "test.pgop.dev",
  version: "v1",
  plural: "widgets",
  kind: "Widget",
  namespaced: true,
};

/** A Widget: a spec with an environment (for field indexes) and a status subresource. */
export interface Widget extends KubeObject {
  spec?: { environment?: string; size?: number };
  status?: { phase?: string; observedGeneration?: number };
}

/** The CustomResourceDefinition of {@link Widgets}. */
export const widgetCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.test.pgop.dev" },
  spec: {
    group: "test.pgop.dev",
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [{
      name: "v1",
      served: true,
      storage: true,
      subresources: { status: {} },
      // So the server can answer `fieldSelector=spec.environment=…`, to compare the cache's index with.
      selectableFields: [{ jsonPath: ".spec.environment" }],
      schema: {
        openAPIV3Schema: {
          type: "object",
          properties: {
            spec: {
              type: "object",
              properties: { environment: { type: "string" }, size: { type: "integer" } },
            },
            status: {
              type: "object",
              properties: {
                phase: { type: "string" },
                observedGeneration: { type: "integer", format: "int64" },
              },
            },
          },
        },
      },
    }],
  },
} as const;

/**
 * Creates (server-side apply) the Widget CRD and resolves once it is
 * Established and the API serves lists of Widgets.
 */
export async function installWidgetCrd(client: KubeClient): Promise<void> {
  await client.apply(Resources.customResourceDefinitions, widgetCrd, {
    fieldManager: "pgop-tests",
    force: true,
  });
  await waitUntil("the Widget CRD to be established and served", async () => {
    const crd = await client.get<
      KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
    >(Resources.customResourceDefinitions, widgetCrd.metadata.name);
    const established = crd.status?.conditions?.some((c) =>
      c.type === "Established" && c.status === "True"
    );
    if (!established) return false;
    await client.list(Widgets, { limit: 1 });
    return true;
  }, { timeoutMs: 30_000 });
}

/** Creates a namespace; one that already exists is fine. */
export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.create(Resources.namespaces, { metadata: { name } });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

/**
 * `key@resourceVersion` of each object, sorted: two collections with equal
 * results hold the same versions of the same objects.
 */
export function versions(objects: readonly KubeObject[]): string[] {
  return objects.map((o) => `${objectKey(o)}@${o.metadata?.resourceVersion ?? ""}`).sort();
}
