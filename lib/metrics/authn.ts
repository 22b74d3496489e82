/**
 * Who may read `/metrics`: the bearer token is checked with a TokenReview
 * (authentication.k8s.io/v1), and the user it names with a
 * SubjectAccessReview (authorization.k8s.io/v1) for `get` on the
 * non-resource URL `/metrics` — what controller-runtime's secure metrics
 * filter and kube-rbac-proxy do. A ClusterRole with
 * `nonResourceURLs: [/metrics], verbs: [get]` grants it (deploy/'s
 * `pgop-metrics-reader`). Decisions are cached per token
 * ({@link AuthCache}).
 *
 * @module
 */
import type { Resource } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { AuthCache, type AuthCacheOptions } from "./auth_cache.ts";

/** The answer to a request for `/metrics`. */
export interface AuthDecision {
  /** 200 allowed, 401 no or an invalid token, 403 a valid token without the right. */
  readonly status: 200 | 401 | 403;
  /** For the log: the user, or why not. Never the token. */
  readonly detail: string;
}

/** Decides whether a request may read `/metrics`. */
export interface MetricsAuthorizer {
  /** Rejects when the API server could not be asked (the caller answers 500). */
  check(request: Request): Promise<AuthDecision>;
}

/** TokenReview: pgop needs `create` on it (a ClusterRole, in every install mode). */
export const TOKEN_REVIEWS: Resource = {
  group: "authentication.k8s.io",
  version: "v1",
  plural: "tokenreviews",
  kind: "TokenReview",
  namespaced: false,
};

/** SubjectAccessReview: pgop needs `create` on it (a ClusterRole, in every install mode). */
export const SUBJECT_ACCESS_REVIEWS: Resource = {
  group: "authorization.k8s.io",
  version: "v1",
  plural: "subjectaccessreviews",
  kind: "SubjectAccessReview",
  namespaced: false,
};

interface TokenReview extends KubeObject {
  spec: { token: string };
  status?: {
    authenticated?: boolean;
    error?: string;
    user?: {
      username?: string;
      uid?: string;
      groups?: string[];
      extra?: Record<string, string[]>;
    };
  };
}

interface SubjectAccessReview extends KubeObject {
  spec: Record<string, unknown>;
  status?: { allowed?: boolean; denied?: boolean; reason?: string };
}

/** Options of {@link KubeMetricsAuthorizer}. */
export interface KubeMetricsAuthorizerOptions {
  /** The non-resource URL checked; default "/metrics". */
  readonly path?: string;
  readonly cache?: AuthCacheOptions;
}

/** {@link MetricsAuthorizer} through the API server's reviews, cached. */
export class KubeMetricsAuthorizer implements MetricsAuthorizer {
  readonly #client: KubeClient;
  readonly #path: string;
  readonly #cache: AuthCache<AuthDecision>;

  constructor(client: KubeClient, options: KubeMetricsAuthorizerOptions = {}) {
    this.#client = client;
    this.#path = options.path ?? "/metrics";
    this.#cache = new AuthCache(options.cache);
  }

  async check(request: Request): Promise<AuthDecision> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("Authorization") ?? "")?.[1];
    if (!token) return { status: 401, detail: "no bearer token" };
    return await this.#cache.get(token, async () => {
      const decision = await this.#review(token);
      return { value: decision, positive: decision.status === 200 };
    });
  }

  async #review(token: string): Promise<AuthDecision> {
    const review = await this.#client.create<TokenReview>(TOKEN_REVIEWS, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token },
    });
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) {
      return { status: 401, detail: "the token was not authenticated" };
    }
    const access = await this.#client.create<SubjectAccessReview>(SUBJECT_ACCESS_REVIEWS, {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: user.username,
        uid: user.uid,
        groups: user.groups,
        extra: user.extra,
        nonResourceAttributes: { path: this.#path, verb: "get" },
      },
    });
    return access.status?.allowed === true && access.status.denied !== true
      ? { status: 200, detail: `allowed for ${user.username}` }
      : { status: 403, detail: `"${user.username}" may not get ${this.#path}` };
  }
}
