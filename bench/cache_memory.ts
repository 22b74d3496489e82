/**
 * Memory per cached object: the V8 heap an informer's store holds per
 * Database and per StatefulSet, with pgop's memory-diet transform (drop
 * `managedFields` and the last-applied annotation) and without it.
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
import { memoryDietTransform } from "../lib/cache/transform.ts";
import { desiredStatefulSet } from "../lib/database/statefulset.ts";
import type { Database } from "../lib/database/types.ts";
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

/** Heap bytes per object of a synced informer over `resource`. */
async function bytesPerObject(
  client: KubeClient,
  resource: Resource,
  diet: boolean,
): Promise<number> {
  const before = await settle();
  const stop = new AbortController();
  const informer = new Informer<KubeObject>(client, resource, {
    transform: diet ? memoryDietTransform : (o) => o,
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

await withCluster({ workloads: false, manifests: [CRD_PATH] }, async (cluster) => {
  const client = await clientFor(cluster);
  await cluster.kubectl([
    "wait",
    "--for=condition=Established",
    "crd/databases.database.example.com",
  ]);
  await inParallel(count, 32, async (i) => {
    const db = await client.create<Database>(Resources.databases, databaseManifest(`db-${i}`));
    // A StatefulSet as pgop writes it, then touched by a second manager, as in a real cluster.
    const sts = desiredStatefulSet(db, { secretName: `db-${i}-app` });
    await client.create(Resources.statefulSets, sts, {
      namespace: "default",
      fieldManager: "pgop",
    });
    await client.patch(Resources.statefulSets, `db-${i}`, {
      metadata: { annotations: { "example.com/touched-by": "another-tool" } },
    }, { namespace: "default", type: "merge", fieldManager: "another-tool" });
  });
  const rows: Array<{ resource: string; diet: boolean; bytes: number }> = [];
  for (const resource of [Resources.databases, Resources.statefulSets]) {
    for (const diet of [true, false]) {
      rows.push({
        resource: resource.plural,
        diet,
        bytes: await bytesPerObject(client, resource, diet),
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
  const kb = (b: number) => (b / 1024).toFixed(1);
  const get = (r: string, d: boolean) =>
    rows.find((x) => x.resource === r && x.diet === d)?.bytes ?? 0;
  const table = [
    `Heap per cached object, ${count} objects of each kind, measured ${
      new Date().toISOString().slice(0, 10)
    } on ${machine}`,
    "(`deno run -A --v8-flags=--expose-gc bench/cache_memory.ts`).",
    "",
    "| object | memory diet (pgop default) | everything kept | saved |",
    "| --- | ---: | ---: | ---: |",
    ...["databases", "statefulsets"].map((r) =>
      `| ${r} | ${kb(get(r, true))} KiB | ${kb(get(r, false))} KiB | ${
        (100 * (1 - get(r, true) / get(r, false))).toFixed(0)
      }% |`
    ),
  ].join("\n");
  await replaceSection("bench/README.md", "cache-memory", table);
  console.log(table);
});
