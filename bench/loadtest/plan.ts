/**
 * What a load-test run creates: the namespaces and the Database manifests,
 * computed up front (pure), so every run of the same size creates the same
 * shapes.
 *
 * @module
 */
import type { Database } from "../../lib/database/types.ts";
import type { EnvShare } from "./options.ts";

/** Label on every Database a run creates; its value is the run id. */
export const RUN_LABEL = "loadtest.pgop.dev/run";
/** Prefix of the namespaces a run uses: `pgop-loadtest-<i>`. */
export const NAMESPACE_PREFIX = "pgop-loadtest-";

/** Names of `k` namespaces. @throws {RangeError} when `k` is not a positive integer */
export function namespaceNames(k: number): string[] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`Namespace count must be >= 1, got ${k}`);
  return Array.from({ length: k }, (_, i) => `${NAMESPACE_PREFIX}${i}`);
}

/**
 * The environment of Database `i` of `n`: shares are laid out in order over
 * the index range, so `a:0.5,b:0.5` gives the first half `a` and exact
 * counts (up to rounding) rather than random ones.
 */
export function environmentOf(i: number, n: number, mix: readonly EnvShare[]): string {
  const position = (i + 0.5) / n;
  let cumulative = 0;
  for (const share of mix) {
    cumulative += share.weight;
    if (position < cumulative) return share.env;
  }
  return mix[mix.length - 1]?.env ?? "production";
}

/** Options of {@link planDatabases}. */
export interface PlanOptions {
  /** Short id of the run (lowercase letters and digits), in names and the run label. */
  readonly runId: string;
  readonly count: number;
  readonly namespaces: readonly string[];
  readonly envMix: readonly EnvShare[];
  /** Image and storage size of every Database (default postgres:14 and 10Gi, never pulled on kwok). */
  readonly image?: string;
  readonly storage?: string;
}

/**
 * The Databases of a run: `lt-<runId>-<i>`, round-robin over the namespaces,
 * labelled {@link RUN_LABEL}, with the seed's spec (postgres:14, one replica,
 * 10Gi) and the environment from the mix.
 * @throws {RangeError} on a run id that would not make valid names, or no namespaces
 */
export function planDatabases(options: PlanOptions): Database[] {
  const { runId, count, namespaces, envMix, image = "postgres:14", storage = "10Gi" } = options;
  if (!/^[a-z0-9]{1,12}$/.test(runId)) {
    throw new RangeError(`Run id must be 1-12 lowercase letters or digits, got "${runId}"`);
  }
  if (namespaces.length === 0) throw new RangeError("At least one namespace is needed");
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: "database.example.com/v1",
    kind: "Database",
    metadata: {
      name: `lt-${runId}-${i}`,
      namespace: namespaces[i % namespaces.length],
      labels: { [RUN_LABEL]: runId },
    },
    spec: {
      image,
      replicas: 1,
      databaseName: "app",
      username: "app",
      storage: { size: storage },
      environment: environmentOf(i, count, envMix),
    },
  }));
}

/** A fresh run id: 6 random lowercase letters and digits. */
export function newRunId(random: () => number = Math.random): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let id = "";
  for (let i = 0; i < 6; i++) id += alphabet[Math.floor(random() * alphabet.length)];
  return id;
}
