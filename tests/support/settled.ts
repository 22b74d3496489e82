/**
 * An observed end of activity, for end-to-end tests that assert that pgop did
 * nothing: instead of sleeping, a test marks an object, waits until pgop's
 * cache has seen the mark (its watch delivered that resourceVersion, so every
 * earlier change of that resource too) and its queue is idle (nothing
 * waiting, nothing in flight), and then looks at what pgop did meanwhile.
 *
 * @module
 */
import type { DatabaseInformers } from "../../lib/database/controller.ts";
import type { LocalCluster } from "./cluster.ts";
import type { InProcessPgop } from "./pgop.ts";
import { parseExposition, valueOf } from "./prometheus_text.ts";
import { waitUntil } from "./wait.ts";

/** `kubectl` resource names of the caches. */
const KINDS: Record<keyof DatabaseInformers, string> = {
  databases: "databases.database.example.com",
  statefulSets: "statefulsets.apps",
  services: "services",
  secrets: "secrets",
  pods: "pods",
};

let marks = 0;

/** resourceVersions of etcd are integers; a later one is larger. */
function atLeast(version: string | undefined, wanted: string): boolean {
  return version !== undefined && version !== "" && BigInt(version) >= BigInt(wanted);
}

/** Whether the exposition `text` shows pgop's Database queue idle: nothing waiting, nothing in flight. */
export function queueIdleIn(text: string): boolean {
  const scrape = parseExposition(text);
  const labels = { name: "database" };
  return valueOf(scrape, "workqueue_depth", labels) === 0 &&
    valueOf(scrape, "workqueue_longest_running_processor_seconds", labels) === 0;
}

/** Whether pgop's Database queue is idle: nothing waiting, nothing being reconciled. */
export async function queueIdle(pgop: InProcessPgop): Promise<boolean> {
  return queueIdleIn(await pgop.metrics.text());
}

/** Watch events pgop's Database cache received (`pgop_cache_events_total`). */
function databaseEvents(text: string): number {
  return valueOf(parseExposition(text), "pgop_cache_events_total", {
    resource: KINDS.databases,
  }) ?? 0;
}

/**
 * {@link settled} for pgop in another process, seen through its metrics:
 * annotates the Database `namespace/name`, waits until pgop's Database cache
 * counted a watch event more than before (the mark, or a later change) and its
 * queue is idle; returns the mark's resourceVersion.
 */
export async function settledProcess(
  metrics: () => Promise<string>,
  cluster: LocalCluster,
  key: string,
): Promise<string> {
  const before = databaseEvents(await metrics());
  const version = await mark(cluster, "databases", key);
  await waitUntil(
    `pgop's Database watch past resourceVersion ${version}`,
    async () => databaseEvents(await metrics()) > before,
    { timeoutMs: 30_000, intervalMs: 50 },
  );
  await waitUntil("pgop's queue idle", async () => queueIdleIn(await metrics()), {
    timeoutMs: 30_000,
    intervalMs: 50,
  });
  return version;
}

/** Annotates the object with a fresh mark; returns its new resourceVersion. */
async function mark(
  cluster: LocalCluster,
  cache: keyof DatabaseInformers,
  key: string,
): Promise<string> {
  const [namespace, name] = key.split("/");
  return (await cluster.kubectl([
    "annotate",
    "--namespace",
    namespace,
    KINDS[cache],
    name,
    `test.pgop.example.com/mark=${++marks}`,
    "--overwrite",
    "-o",
    "jsonpath={.metadata.resourceVersion}",
  ])).trim();
}

/**
 * Annotates `cache`'s object `namespace/name` with a fresh mark (a change of
 * metadata only, which pgop writes nothing for), waits until pgop's cache
 * holds that resourceVersion or a later one and its queue is idle, and
 * returns the resourceVersion: "pgop was idle after its watch delivered X".
 */
export async function settled(
  pgop: InProcessPgop,
  cluster: LocalCluster,
  cache: keyof DatabaseInformers,
  key: string,
): Promise<string> {
  const version = await mark(cluster, cache, key);
  const store = pgop.operator.caches[cache].store;
  await waitUntil(
    `pgop's ${cache} cache at resourceVersion ${version} or later`,
    () => atLeast(store.get(key)?.metadata?.resourceVersion, version),
    { timeoutMs: 30_000, intervalMs: 20 },
  );
  await waitUntil("pgop's queue idle", () => queueIdle(pgop), {
    timeoutMs: 30_000,
    intervalMs: 20,
  });
  return version;
}
