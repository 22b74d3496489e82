import assert from "node:assert/strict";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import { ApiError } from "../kube/errors.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { ensureChild } from "./children.ts";
import { desiredSecret, readPassword } from "./secret.ts";
import type { Database } from "./types.ts";

const db = {
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { name: "db", namespace: "ns", uid: "uid-1" },
  spec: {
    image: "postgres:14",
    replicas: 1,
    databaseName: "db1",
    username: "admin",
    storage: { size: "1Gi" },
  },
} as Database;

/** Records calls; `existing` is what the server holds under the child's name. */
function client(existing: KubeObject | undefined) {
  const calls: string[] = [];
  const fake = {
    create: (_r: unknown, obj: KubeObject) => {
      calls.push("create");
      if (existing) {
        return Promise.reject(new ApiError(409, { reason: "AlreadyExists", code: 409 }));
      }
      return Promise.resolve(obj);
    },
    get: () => (calls.push("get"), Promise.resolve(existing)),
    apply: (_r: unknown, obj: KubeObject) => (calls.push("apply"), Promise.resolve(obj)),
    patch: () => (calls.push("patch"), Promise.resolve(existing)),
  } as unknown as KubeClient;
  return { fake, calls };
}

const build = (password: string) => (existing: KubeObject | undefined) =>
  desiredSecret(db, readPassword(existing as Secret | undefined) ?? password);
const signal = new AbortController().signal;

Deno.test("ensureChild() creates a child the cache does not have", async () => {
  const { fake, calls } = client(undefined);
  const out = await ensureChild(fake, Resources.secrets, db, build("new"), undefined, signal);
  assert.equal(out.kind, "created");
  assert.deepEqual(calls, ["create"]);
});

Deno.test("ensureChild() keeps the password of an existing own Secret the cache missed", async () => {
  const { fake, calls } = client(desiredSecret(db, "old-password"));
  const out = await ensureChild(fake, Resources.secrets, db, build("new"), undefined, signal);
  assert.equal(out.kind, "unchanged");
  assert.deepEqual(calls, ["create", "get"]);
});

Deno.test("ensureChild() never touches an object it does not control", async () => {
  const foreign = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db-app", namespace: "ns" },
    data: {},
  };
  const { fake, calls } = client(foreign);
  const out = await ensureChild(fake, Resources.secrets, db, build("new"), undefined, signal);
  assert.equal(out.kind, "conflict");
  assert.deepEqual(calls, ["create", "get"]);
});

Deno.test("ensureChild() adopts a predecessor's Secret and keeps its password", async () => {
  const old = desiredSecret(
    { ...db, metadata: { ...db.metadata, uid: "uid-0" } } as Database,
    "old-password",
  );
  const { fake, calls } = client(old);
  const out = await ensureChild(fake, Resources.secrets, db, build("new"), undefined, signal);
  assert.equal(out.kind, "adopted");
  assert.deepEqual(calls, ["create", "get", "patch", "apply"]);
  assert.equal(
    readPassword(out.kind === "adopted" ? out.object as Secret : undefined),
    "old-password",
  );
});

Deno.test("ensureChild() applies only when the cached child differs", async () => {
  const cached = desiredSecret(db, "pw");
  const same = client(cached);
  assert.equal(
    (await ensureChild(same.fake, Resources.secrets, db, build("x"), cached, signal)).kind,
    "unchanged",
  );
  assert.deepEqual(same.calls, []);
  const edited = { ...cached, data: { ...cached.data, host: btoa("elsewhere") } };
  const differ = client(edited);
  assert.equal(
    (await ensureChild(differ.fake, Resources.secrets, db, build("x"), edited, signal)).kind,
    "updated",
  );
  assert.deepEqual(differ.calls, ["apply"]);
});
