/**
 * Memory per cached object: the V8 heap an informer's store holds per
 * Database (with the status pgop writes first), StatefulSet, Secret and
 * Service, as pgop caches and reads them (Databases with the memory diet,
 * children as projections read as protobuf: `databaseCaches()` in
 * lib/database/controller.ts), with the memory diet only (drop
 * `managedFields` and the last-applied annotation, read as JSON), and whole.
 *
 *   deno run -A --v8-flags=--expose-gc bench/cache_memory.ts [--count 2000]
 *
 * Writes bench/results/cache_memory.json and its table in bench/README.md.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Informer } from "../lib/cache/informer.ts";
import { fieldIndexer, namespaceIndexer, ownerUidIndexer } from "../lib/cache/indexers.ts";
import { memoryDietTransform, type Transform } from "../lib/cache/transform.ts";
import { objectToCreate } from "../lib/database/children.ts";
import { childPlans } from "../lib/database/plans.ts";
import { API_VERSION, type Database, FIELD_MANAGER, KIND } from "../lib/database/types.ts";
import { computeStatus, formatTime } from "../lib/database/status.ts";
import type { MessageSchema } from "../lib/kube/protobuf.ts";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { CHILD_SELECTOR, databaseCaches } from "../lib/database/controller.ts";
import { type Resource, Resources } from "../lib/kube/resource.ts";
import type { KubeClient, KubeObject } from "../lib/kube/types.ts";
import { withCluster } from "../tests/support/cluster.ts";
import { clientFor } from "../tests/support/client.ts";
import { CRD_PATH, databaseManifest } from "../tests/support/pgop.ts";
import { machineNote, replaceSection } from "./lib/readme.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error("run with --v8-flags=--expose-gc");
  Deno.exit(2);
}
const { values } = parseArgs({
  args: Deno.args,
  options: { count: { type: "string", default: "2000" } },
});
const count = Number(values.count);

async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  return Deno.memoryUsage().heapUsed;
}

async function inParallel(
  n: number,
  width: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

/** How a cache keeps objects. */
type Mode = "pgop" | "diet" | "whole";

// Each is typed for its own kind; here every store holds KubeObjects.
const declared = databaseCaches();
const PGOP_CACHES = {
  databases: declared.databases,
  statefulsets: declared.statefulSets,
  secrets: declared.secrets,
  services: declared.services,
} as unknown as Record<string, { transform: Transform<KubeObject>; protobuf?: MessageSchema }>;

/** Heap bytes per object of a synced informer over `resource`. */
async function bytesPerObject(
  client: KubeClient,
  resource: Resource,
  mode: Mode,
): Promise<number> {
  const before = await settle();
  const stop = new AbortController();
  const informer = new Informer<KubeObject>(client, resource, {
    transform: mode === "pgop"
      ? PGOP_CACHES[resource.plural].transform
      : mode === "diet"
      ? memoryDietTransform
      : (o) => o,
    // As pgop reads them: children as protobuf, only their views' fields decoded.
    ...(mode === "pgop" ? { protobuf: PGOP_CACHES[resource.plural].protobuf } : {}),
    labelSelector: resource === Resources.databases ? undefined : CHILD_SELECTOR,
    indexers: {
      namespace: namespaceIndexer,
      owner: ownerUidIndexer,
      ...(resource === Resources.databases
        ? { "spec.environment": fieldIndexer("spec.environment") }
        : {}),
    },
  });
  const running = informer.run(stop.signal);
  await informer.waitForSync(stop.signal);
  const after = await settle();
  const size = informer.store.size;
  stop.abort();
  await running;
  return (after - before) / size;
}

const RESOURCES = [
  Resources.databases,
  Resources.statefulSets,
  Resources.secrets,
  Resources.services,
];

await withCluster({ workloads: false, manifests: [CRD_PATH] }, async (cluster) => {
  const client = await clientFor(cluster);
  await cluster.kubectl([
    "wait",
    "--for=condition=Established",
    "crd/databases.database.example.com",
  ]);
  await inParallel(count, 32, async (i) => {
    const db = await client.create<Database>(Resources.databases, databaseManifest(`db-${i}`));
    // The children as pgop writes them (but the headless Service: the others
    // are alike), so each kind has a few objects per Database.
    let statefulSet: StatefulSet | undefined;
    for (const plan of childPlans(db, { newPassword: () => `password-${i}` })) {
      if (plan.template.metadata?.name?.endsWith("-headless")) continue;
      const created = await client.create(plan.resource, objectToCreate(plan), {
        namespace: "default",
        fieldManager: FIELD_MANAGER,
      });
      if (plan.resource === Resources.statefulSets) statefulSet = created as StatefulSet;
    }
    // The status pgop writes first (phase Creating, its conditions).
    await client.apply(Resources.databases, {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: db.metadata?.name, namespace: "default" },
      status: computeStatus(db, { statefulSet }, formatTime(Date.now())),
    } as Database, { fieldManager: FIELD_MANAGER, force: true, subresource: "status" });
    // Then touched by a second manager, as in a real cluster.
    await client.patch(Resources.statefulSets, `db-${i}`, {
      metadata: { annotations: { "example.com/touched-by": "another-tool" } },
    }, { namespace: "default", type: "merge", fieldManager: "another-tool" });
  });
  const rows: Array<{ resource: string; mode: Mode; bytes: number }> = [];
  for (const resource of RESOURCES) {
    for (const mode of ["pgop", "diet", "whole"] as const) {
      rows.push({
        resource: resource.plural,
        mode,
        bytes: await bytesPerObject(client, resource, mode),
      });
    }
  }
  client.close();
  const machine = await machineNote();
  await Deno.mkdir("bench/results", { recursive: true });
  await Deno.writeTextFile(
    "bench/results/cache_memory.json",
    JSON.stringify({ machine, count, rows }, null, 2),
  );
  const kb = (b: number) => (b / 1024).toFixed(2);
  const get = (r: string, m: Mode) =>
    rows.find((x) => x.resource === r && x.mode === m)?.bytes ?? 0;
  const perDatabase = (m: Mode) =>
    get("databases", m) + get("statefulsets", m) + 2 * get("secrets", m) + 4 * get("services", m);
  const table = [
    `Heap per cached object, ${count} Databases and their children, measured ${
      new Date().toISOString().slice(0, 10)
    } on ${machine}`,
    "(`deno task bench:cache-memory`). pgop keeps Databases (each with the status pgop writes first)",
    "with the memory diet and its children as projections read as protobuf",
    "(`lib/database/projection.ts`); the other two columns read JSON.",
    "",
    "| object | as pgop caches it | memory diet only | whole | pgop vs whole |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...RESOURCES.map((r) => r.plural).map((r) =>
      `| ${r} | ${kb(get(r, "pgop"))} KiB | ${kb(get(r, "diet"))} KiB | ${
        kb(get(r, "whole"))
      } KiB | ${(100 * (get(r, "pgop") / get(r, "whole"))).toFixed(0)}% |`
    ),
    `| **a Database and its 7 children** | **${kb(perDatabase("pgop"))} KiB** | ${
      kb(perDatabase("diet"))
    } KiB | ${kb(perDatabase("whole"))} KiB | ${
      (100 * perDatabase("pgop") / perDatabase("whole")).toFixed(0)
    }% |`,
  ].join("\n");
  await replaceSection("bench/README.md", "cache-memory", table);
  console.log(table);
});
