/**
 * The read half of {@link KubeClient} on `@kubernetes/client-node`'s
 * `KubernetesObjectApi`, to compare transports in `bench/`. pgop itself uses
 * `RestClient`; this exists so the benchmark measures the same calls through
 * the official client (its discovery, serializer and undici dispatcher).
 *
 * @module
 */
import { ApiException, type KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import { ApiError, KubeconfigError, TransportError } from "../../lib/kube/errors.ts";
import { apiVersionOf, type Resource, resourcePath } from "../../lib/kube/resource.ts";
import { parseStatus } from "../../lib/kube/status_body.ts";
import type {
  KubeClient,
  KubeObject,
  ListOptions,
  ListPage,
  RequestOptions,
} from "../../lib/kube/types.ts";

/** The part of {@link KubeClient} that {@link ClientNodeReader} offers. */
export type KubeReader = Pick<KubeClient, "list" | "get">;

/**
 * `list` and `get` through client-node. Differences from `RestClient`, all
 * rejected up front with `RangeError` rather than silently ignored:
 * `resourceVersion`, `resourceVersionMatch` and `subresource` are not
 * supported by `KubernetesObjectApi`. `signal` is ignored (client-node takes
 * none). The first call per group-version does a discovery request.
 * client-node's serializer may turn timestamps of built-in kinds into `Date`
 * objects, and it reads a custom resource list's metadata as ObjectMeta, which
 * loses `continue` and `remainingItemCount` (so paging works for built-in kinds
 * only). Errors are mapped to `ApiError` / `TransportError`.
 */
export class ClientNodeReader implements KubeReader {
  readonly #api: KubernetesObjectApi;

  /**
   * Does no I/O.
   * @throws {KubeconfigError} when `kubeConfig` has no current cluster
   */
  constructor(kubeConfig: KubeConfig) {
    if (!kubeConfig.getCurrentCluster()) {
      throw new KubeconfigError("The KubeConfig has no current cluster");
    }
    this.#api = KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  async list<T extends KubeObject>(
    resource: Resource,
    options: ListOptions = {},
  ): Promise<ListPage<T>> {
    if (options.resourceVersion || options.resourceVersionMatch) {
      throw new RangeError("resourceVersion is not supported by client-node's list");
    }
    const request = `GET ${resourcePath(resource, { namespace: options.namespace })}`;
    try {
      const list = await this.#api.list(
        apiVersionOf(resource),
        resource.kind,
        options.namespace,
        undefined,
        undefined,
        undefined,
        options.fieldSelector,
        options.labelSelector,
        options.limit || undefined,
        options.continue || undefined,
      );
      return {
        // client-node's KubernetesObject and pgop's KubeObject are the same JSON shape.
        items: list.items as unknown as T[],
        resourceVersion: list.metadata?.resourceVersion ?? "",
        continue: list.metadata?._continue || undefined,
        remainingItemCount: list.metadata?.remainingItemCount,
      };
    } catch (err) {
      throw toClientError(err, request);
    }
  }

  async get<T extends KubeObject>(
    resource: Resource,
    name: string,
    options: RequestOptions = {},
  ): Promise<T> {
    if (options.subresource) {
      throw new RangeError("subresource is not supported by client-node's read");
    }
    if (!name) throw new RangeError("Object name is required");
    const request = `GET ${resourcePath(resource, { namespace: options.namespace, name })}`;
    try {
      const object = await this.#api.read({
        apiVersion: apiVersionOf(resource),
        kind: resource.kind,
        metadata: { name, namespace: options.namespace },
      });
      return object as unknown as T;
    } catch (err) {
      throw toClientError(err, request);
    }
  }
}

/** ApiException → ApiError (keeping the Status body); anything else → TransportError. */
function toClientError(err: unknown, request: string): Error {
  if (!(err instanceof ApiException)) return new TransportError(request, err);
  const body: unknown = err.body;
  const text = typeof body === "string" ? body : JSON.stringify(body ?? "");
  const status = parseStatus(err.code, text);
  return new ApiError(err.code, status, { request, cause: err });
}
