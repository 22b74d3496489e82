import assert from "node:assert/strict";
import type { KubeClient } from "../kube/types.ts";
import type { Resource } from "../kube/resource.ts";
import type { RolePlan } from "./pod_roles.ts";
import { applyRolePlan } from "./role_writer.ts";
import type { Database } from "./types.ts";

const db = {
  metadata: { name: "db", namespace: "ns" },
  spec: { image: "postgres:15", databaseName: "a", username: "a", storage: { size: "1Gi" } },
} as Database;

/** Records patch calls; every other method is absent. */
function recorder(calls: unknown[]): KubeClient {
  return {
    patch(resource: Resource, name: string, body: unknown, options: { namespace?: string }) {
      calls.push([resource.plural, options.namespace, name, body]);
      return Promise.resolve({});
    },
  } as unknown as KubeClient;
}

Deno.test("applyRolePlan() patches pods in order with their resourceVersion, then the request", async () => {
  const calls: unknown[] = [];
  const plan: RolePlan = {
    primary: "db-1",
    patches: [
      { pod: "db-0", patch: { metadata: { labels: { r: "replica" } } }, resourceVersion: "7" },
      { pod: "db-1", patch: { metadata: { annotations: { a: null } } } },
    ],
    switchover: { outcome: "done", message: "" },
  };
  await applyRolePlan(recorder(calls), db, plan, new AbortController().signal);
  assert.deepEqual(calls, [
    ["pods", "ns", "db-0", { metadata: { labels: { r: "replica" }, resourceVersion: "7" } }],
    ["pods", "ns", "db-1", { metadata: { annotations: { a: null } } }],
    [
      "databases",
      "ns",
      "db",
      { metadata: { annotations: { "database.example.com/switchover-to": null } } },
    ],
  ]);
});

Deno.test("applyRolePlan() makes no request for an empty plan", async () => {
  const calls: unknown[] = [];
  await applyRolePlan(
    recorder(calls),
    db,
    { primary: "db-0", patches: [] },
    new AbortController().signal,
  );
  assert.deepEqual(calls, []);
});
