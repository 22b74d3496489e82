/**
 * Transport benchmark: pgop's REST client (Deno `fetch` with a
 * `Deno.createHttpClient`) against `@kubernetes/client-node`'s transport, on
 * the same local API server in the same run. Measures requests per second and
 * this process's CPU time per request (the API server runs elsewhere, so its
 * CPU is not counted) for single-object GETs and 100-item LISTs.
 *
 *   deno run -A bench/transport.ts [--requests 2000] [--concurrency 16] [--rounds 3]
 *
 * Writes bench/results/transport.json and the table in bench/README.md.
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { KubeConfig } from "@kubernetes/client-node";
import { ClientNodeReader } from "./transport/client_node_transport.ts";
import { Resources } from "../lib/kube/resource.ts";
import type { KubeObject, ListOptions, ListPage, RequestOptions } from "../lib/kube/types.ts";
import { withCluster } from "../tests/support/cluster.ts";
import { clientFor } from "../tests/support/client.ts";
import { machineNote, replaceSection } from "./lib/readme.ts";

interface Reader {
  list<T extends KubeObject>(
    resource: typeof Resources.configMaps,
    options?: ListOptions,
  ): Promise<ListPage<T>>;
  get<T extends KubeObject>(
    resource: typeof Resources.configMaps,
    name: string,
    options?: RequestOptions,
  ): Promise<T>;
}

interface Figure {
  transport: string;
  operation: string;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  cpuMicrosPerRequest: number;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "3" },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);

async function measure(
  transport: string,
  operation: string,
  count: number,
  call: (i: number) => Promise<unknown>,
): Promise<Figure> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await call(next++);
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    transport,
    operation,
    requests: count,
    seconds,
    requestsPerSecond: count / seconds,
    cpuMicrosPerRequest: (cpu.user + cpu.system) / count,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

await withCluster({ workloads: false }, async (cluster) => {
  const rest = await clientFor(cluster);
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const transports: Array<[string, Reader]> = [
    ["pgop RestClient (fetch)", rest],
    ["client-node", new ClientNodeReader(kc)],
  ];
  for (let i = 0; i < 100; i++) {
    await rest.create(Resources.configMaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `bench-${i}`, namespace: "default" },
      data: { value: "x".repeat(200) },
    });
  }
  const figures: Figure[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate the order each round so neither transport always runs on a warmer server.
    const order = round % 2 === 0 ? transports : [...transports].reverse();
    for (const [name, reader] of order) {
      figures.push(
        await measure(
          name,
          "get",
          requests,
          (i) => reader.get(Resources.configMaps, `bench-${i % 100}`, { namespace: "default" }),
        ),
      );
      figures.push(
        await measure(
          name,
          "list 100",
          Math.ceil(requests / 10),
          () => reader.list(Resources.configMaps, { namespace: "default" }),
        ),
      );
    }
  }
  rest.close();

  const summary = transports.flatMap(([name]) =>
    ["get", "list 100"].map((operation) => {
      const runs = figures.filter((f) => f.transport === name && f.operation === operation);
      return {
        transport: name,
        operation,
        requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
        cpuMicrosPerRequest: median(runs.map((r) => r.cpuMicrosPerRequest)),
      };
    })
  );
  await Deno.mkdir("bench/results", { recursive: true });
  await Deno.writeTextFile(
    "bench/results/transport.json",
    JSON.stringify(
      { machine: await machineNote(), requests, concurrency, rounds, summary, figures },
      null,
      2,
    ),
  );
  const rows = summary.map((s) =>
    `| ${s.transport} | ${s.operation} | ${s.requestsPerSecond.toFixed(0)} | ${
      s.cpuMicrosPerRequest.toFixed(0)
    } |`
  );
  const ratio = (op: string, key: "requestsPerSecond" | "cpuMicrosPerRequest") => {
    const [a, b] = transports.map(([name]) =>
      summary.find((s) => s.transport === name && s.operation === op)?.[key] ?? 0
    );
    return (a / b).toFixed(2);
  };
  const table = [
    `Measured ${
      new Date().toISOString().slice(0, 10)
    } on ${await machineNote()}; ${requests} GETs and ${
      Math.ceil(requests / 10)
    } LISTs per round at concurrency ${concurrency}, median of ${rounds} rounds, order alternated.`,
    "",
    "| transport | operation | requests/s | CPU µs/request (client) |",
    "| --- | --- | ---: | ---: |",
    ...rows,
    "",
    `pgop/client-node: GET ${ratio("get", "requestsPerSecond")}× the throughput at ${
      ratio("get", "cpuMicrosPerRequest")
    }× the CPU per request; LIST ${ratio("list 100", "requestsPerSecond")}× at ${
      ratio("list 100", "cpuMicrosPerRequest")
    }×.`,
  ].join("\n");
  await replaceSection("bench/README.md", "transport", table);
  console.log(table);
});
