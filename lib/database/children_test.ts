import assert from "node:assert/strict";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import { ApiError } from "../kube/errors.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { type ChildPlan, ensureChild, VerifiedVersions } from "./children.ts";
import { desiredHash, stamp, stampedHash } from "./desired_hash.ts";
import { newProjections } from "./projection.ts";

const projectMetadataOnly = newProjections().metadataOnly;
import { desiredSecret, PASSWORD_MASK, readPassword } from "./secret.ts";
import { desiredPrimaryClientService } from "./role_services.ts";
import type { Database } from "./types.ts";
import { sampleDatabase } from "../../tests/support/database_fixture.ts";

const db = sampleDatabase();

/** Records calls; `existing` is what the server holds under the child's name. */
function client(existing: KubeObject | undefined) {
  const calls: string[] = [];
  const written: KubeObject[] = [];
  const fake = {
    create: (_r: unknown, obj: KubeObject) => {
      calls.push("create");
      if (existing) {
        return Promise.reject(new ApiError(409, { reason: "AlreadyExists", code: 409 }));
      }
      written.push(obj);
      return Promise.resolve(obj);
    },
    get: () => (calls.push("get"), Promise.resolve(existing)),
    apply: (_r: unknown, obj: KubeObject) => {
      calls.push("apply");
      written.push(obj);
      return Promise.resolve(obj);
    },
    patch: () => (calls.push("patch"), Promise.resolve(existing)),
  } as unknown as KubeClient;
  return { fake, calls, written };
}

/** The reconciler's plan for the Secret: a new password only when none exists. */
function secretPlan(database: Database = db): ChildPlan {
  return {
    resource: Resources.secrets,
    template: desiredSecret(database, PASSWORD_MASK),
    build: (existing) =>
      desiredSecret(database, readPassword(existing as Secret | undefined) ?? "new-password"),
    readsLive: true,
  };
}

/** A Secret as pgop writes it: with the hash of its template. */
function ownSecret(password: string, database: Database = db): Secret {
  return stamp(desiredSecret(database, password), desiredHash(secretPlan(database).template));
}

const signal = new AbortController().signal;
const passwordOf = (obj: KubeObject | undefined) => readPassword(obj as Secret | undefined);

Deno.test("ensureChild() creates a child the cache does not have, stamped with its hash", async () => {
  const { fake, calls, written } = client(undefined);
  const out = await ensureChild(fake, secretPlan(), db, undefined, signal);
  assert.equal(out.kind, "created");
  assert.deepEqual(calls, ["create"]);
  assert.equal(stampedHash(written[0]), desiredHash(secretPlan().template));
  assert.equal(passwordOf(written[0]), "new-password");
});

Deno.test("ensureChild() leaves an own, stamped Secret the cache missed alone", async () => {
  const { fake, calls } = client(ownSecret("old-password"));
  const out = await ensureChild(fake, secretPlan(), db, undefined, signal);
  assert.equal(out.kind, "unchanged");
  assert.deepEqual(calls, ["create", "get"]);
});

Deno.test("ensureChild() stamps an own Secret written without a hash, keeping its password", async () => {
  const { fake, calls, written } = client(desiredSecret(db, "old-password"));
  const out = await ensureChild(fake, secretPlan(), db, undefined, signal);
  assert.equal(out.kind, "updated");
  assert.deepEqual(calls, ["create", "get", "apply"]);
  assert.equal(passwordOf(written[0]), "old-password");
  assert.equal(stampedHash(written[0]), desiredHash(secretPlan().template));
});

Deno.test("ensureChild() never touches an object it does not control", async () => {
  const foreign = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db-app", namespace: "ns" },
    data: {},
  };
  const { fake, calls } = client(foreign);
  const out = await ensureChild(fake, secretPlan(), db, undefined, signal);
  assert.equal(out.kind, "conflict");
  assert.deepEqual(calls, ["create", "get"]);
});

Deno.test("ensureChild() adopts a predecessor's Secret and keeps its password", async () => {
  const predecessor = { ...db, metadata: { ...db.metadata, uid: "uid-0" } } as Database;
  const old = ownSecret("old-password", predecessor);
  const { fake, calls } = client(old);
  // Cached as a projection: adopting reads the live object for its password.
  const out = await ensureChild(fake, secretPlan(), db, projectMetadataOnly(old), signal);
  assert.equal(out.kind, "adopted");
  assert.deepEqual(calls, ["get", "patch", "apply"]);
  assert.equal(passwordOf(out.kind === "adopted" ? out.object : undefined), "old-password");
});

Deno.test("ensureChild() compares the cached projection by hash, labels and owner", async () => {
  const live = ownSecret("pw");
  const same = client(live);
  const out = await ensureChild(same.fake, secretPlan(), db, projectMetadataOnly(live), signal);
  assert.equal(out.kind, "unchanged");
  assert.deepEqual(same.calls, []);

  // The Database changed: the Secret is read for its password, then applied.
  const renamed = { ...db, spec: { ...db.spec, databaseName: "db2" } } as Database;
  const changed = client(live);
  const updated = await ensureChild(
    changed.fake,
    secretPlan(renamed),
    renamed,
    projectMetadataOnly(live),
    signal,
  );
  assert.equal(updated.kind, "updated");
  assert.deepEqual(changed.calls, ["get", "apply"]);
  assert.equal(passwordOf(changed.written[0]), "pw");

  // A label removed by someone: applied back.
  const labels = { ...live.metadata?.labels };
  delete labels["app.kubernetes.io/instance"];
  const unlabelled = { ...live, metadata: { ...live.metadata, labels } };
  const relabel = client(unlabelled);
  const relabelled = await ensureChild(
    relabel.fake,
    secretPlan(),
    db,
    projectMetadataOnly(unlabelled),
    signal,
  );
  assert.equal(relabelled.kind, "updated");
  assert.deepEqual(relabel.calls, ["get", "apply"]);
});

Deno.test("ensureChild() applies a Service from its projection without reading it", async () => {
  const service = desiredPrimaryClientService(db);
  const plan: ChildPlan = {
    resource: Resources.services,
    template: service,
    build: () => service,
    readsLive: false,
  };
  const old = stamp(service, "an-older-hash");
  const { fake, calls } = client(old);
  const out = await ensureChild(fake, plan, db, projectMetadataOnly(old), signal);
  assert.equal(out.kind, "updated");
  assert.deepEqual(calls, ["apply"]);
});

Deno.test("ensureChild() reads a child another manager co-owns, once per resourceVersion", async () => {
  const coOwned = {
    ...ownSecret("pw"),
    metadata: {
      ...ownSecret("pw").metadata,
      uid: "s-1",
      resourceVersion: "7",
      managedFields: [{ manager: "kubectl-edit", operation: "Update", fieldsV1: { "f:data": {} } }],
    },
  } as Secret;
  const verified = new VerifiedVersions();
  const first = client(coOwned);
  const cached = projectMetadataOnly(coOwned);
  assert.equal(
    (await ensureChild(first.fake, secretPlan(), db, cached, signal, verified)).kind,
    "unchanged",
  );
  assert.deepEqual(first.calls, ["get"]);
  const again = client(coOwned);
  assert.equal(
    (await ensureChild(again.fake, secretPlan(), db, cached, signal, verified)).kind,
    "unchanged",
  );
  assert.deepEqual(again.calls, [], "verified at resourceVersion 7");

  // Edited by the other manager: the live object differs and is applied back.
  const edited = {
    ...coOwned,
    metadata: { ...coOwned.metadata, resourceVersion: "8" },
    data: { ...coOwned.data, host: btoa("elsewhere") },
  } as Secret;
  const drift = client(edited);
  const out = await ensureChild(
    drift.fake,
    secretPlan(),
    db,
    projectMetadataOnly(edited),
    signal,
    verified,
  );
  assert.equal(out.kind, "updated");
  assert.deepEqual(drift.calls, ["get", "apply"]);
  assert.equal(passwordOf(drift.written[0]), "pw");
});
