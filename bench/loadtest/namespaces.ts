/**
 * The load test's namespaces and its cleanup: create what is missing (and
 * remember it), and at the end delete the run's Databases and those
 * namespaces and wait until they are gone.
 *
 * @module
 */
import { isAlreadyExists, isNotFound } from "../../lib/kube/errors.ts";
import { type Resource, Resources } from "../../lib/kube/resource.ts";
import type { KubeClient } from "../../lib/kube/types.ts";
import { runPool } from "./pool.ts";

const serviceAccounts: Resource = {
  group: "",
  version: "v1",
  plural: "serviceaccounts",
  kind: "ServiceAccount",
  namespaced: true,
};

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Creates the namespaces that do not exist and waits until each has its
 * `default` ServiceAccount (pods are refused without it, which would delay
 * Ready and spoil the timing). Returns the names it created.
 */
export async function ensureNamespaces(
  client: KubeClient,
  names: readonly string[],
  timeoutMs = 60_000,
): Promise<string[]> {
  const created: string[] = [];
  for (const name of names) {
    try {
      await client.create(Resources.namespaces, {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name, labels: { "loadtest.pgop.dev/created": "true" } },
      });
      created.push(name);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }
  for (const namespace of names) {
    await waitFor(`the default ServiceAccount in "${namespace}"`, async () => {
      try {
        await client.get(serviceAccounts, "default", { namespace });
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    }, timeoutMs);
  }
  return created;
}

/** Options of {@link cleanupRun}. */
export interface CleanupOptions {
  /** Selects the run's Databases. */
  readonly labelSelector: string;
  /** Namespaces the run created (deleted too). */
  readonly namespaces: readonly string[];
  readonly concurrency: number;
  readonly timeoutMs?: number;
}

/**
 * Deletes the run's Databases (their children go with them through owner
 * references) and the namespaces it created, then waits until all are gone.
 * Polls once a second while waiting: cleanup is not measured.
 */
export async function cleanupRun(client: KubeClient, options: CleanupOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const { labelSelector } = options;
  const page = await client.list(Resources.databases, { labelSelector });
  await runPool(page.items, options.concurrency, async (db) => {
    try {
      await client.delete(Resources.databases, db.metadata?.name ?? "", {
        namespace: db.metadata?.namespace,
        propagationPolicy: "Background",
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  });
  for (const name of options.namespaces) {
    try {
      await client.delete(Resources.namespaces, name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  await waitFor("the Databases to be deleted", async () => {
    const left = await client.list(Resources.databases, { labelSelector, limit: 1 });
    return left.items.length === 0;
  }, timeoutMs);
  for (const name of options.namespaces) {
    await waitFor(`namespace "${name}" to be deleted`, async () => {
      try {
        await client.get(Resources.namespaces, name);
        return false;
      } catch (error) {
        if (isNotFound(error)) return true;
        throw error;
      }
    }, timeoutMs);
  }
}
