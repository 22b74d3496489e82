import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.d.ts";
import { planRoles, SWITCHOVER_ANNOTATION } from "./pod_roles.ts";
import type { Database } from "./types.ts";

const ROLE = "database.example.com/role";
const REPLICAS = "database.example.com/replicas";
const SYNC = "database.example.com/synchronous";
const DEMOTE = "database.example.com/demote-id";
const DEMOTE_BY = "database.example.com/demote-deadline";
const LSN = "database.example.com/promote-after-lsn";

function database(
  replicas: number,
  extra: { primary?: string; synchronous?: number; switchoverTo?: string } = {},
): Database {
  return {
    apiVersion: "database.example.com/v1",
    kind: "Database",
    metadata: {
      name: "db",
      namespace: "ns",
      uid: "u",
      ...(extra.switchoverTo
        ? { annotations: { [SWITCHOVER_ANNOTATION]: extra.switchoverTo } }
        : {}),
    },
    spec: {
      image: "postgres:15",
      replicas,
      databaseName: "app",
      username: "app",
      storage: { size: "1Gi" },
      ...(extra.synchronous ? { replication: { synchronous: extra.synchronous } } : {}),
    },
    ...(extra.primary ? { status: { primary: extra.primary } } : {}),
  };
}

interface PodOptions {
  role?: "primary" | "replica";
  ready?: boolean;
  annotations?: Record<string, string>;
  message?: string;
}

function pod(name: string, o: PodOptions = {}): Pod {
  return {
    metadata: {
      name,
      labels: o.role ? { [ROLE]: o.role } : {},
      annotations: o.annotations ?? {},
    },
    status: {
      conditions: [{ type: "Ready", status: o.ready ? "True" : "False" }],
      containerStatuses: [{
        name: "postgres",
        ready: o.ready ?? false,
        restartCount: 0,
        image: "",
        imageID: "",
        ...(o.message ? { lastState: { terminated: { exitCode: 0, message: o.message } } } : {}),
      }],
    },
  };
}

const ids = () => "id-1";
const T0 = Date.parse("2026-12-01T00:00:00Z");
const opts = { newDemoteId: ids, now: T0 };
const DEADLINE = "database.example.com/promote-deadline";
const FROM = "database.example.com/handover-from";
const primaryMeta = (n: string) => ({ [REPLICAS]: n });

Deno.test("planRoles(): a new Database's pod 0 becomes primary, the others replicas", () => {
  const plan = planRoles(database(3), [pod("db-0"), pod("db-1"), pod("db-2")], {
    ...opts,
  });
  assert.equal(plan.primary, "db-0");
  assert.deepEqual(plan.patches, [
    {
      pod: "db-0",
      patch: { metadata: { labels: { [ROLE]: "primary" }, annotations: primaryMeta("3") } },
    },
    { pod: "db-1", patch: { metadata: { labels: { [ROLE]: "replica" } } } },
    { pod: "db-2", patch: { metadata: { labels: { [ROLE]: "replica" } } } },
  ]);
  assert.equal(plan.switchover, undefined);
});

Deno.test("planRoles(): nothing to patch when every pod has its role", () => {
  const pods = [
    pod("db-0", { role: "primary", ready: true, annotations: primaryMeta("2") }),
    pod("db-1", { role: "replica", ready: true }),
  ];
  assert.deepEqual(planRoles(database(2, { primary: "db-0" }), pods, opts), {
    primary: "db-0",
    patches: [],
  });
});

Deno.test("planRoles(): the replica and synchronous counts follow the spec on the primary", () => {
  const pods = [
    pod("db-0", { role: "primary", ready: true, annotations: primaryMeta("2") }),
    pod("db-1", { role: "replica", ready: true }),
    pod("db-2"),
  ];
  const plan = planRoles(database(3, { primary: "db-0", synchronous: 1 }), pods, {
    ...opts,
  });
  assert.deepEqual(plan.patches, [
    { pod: "db-0", patch: { metadata: { annotations: { [REPLICAS]: "3", [SYNC]: "1" } } } },
    { pod: "db-2", patch: { metadata: { labels: { [ROLE]: "replica" } } } },
  ]);
});

Deno.test("planRoles(): the one pod labelled primary wins over a stale status", () => {
  const pods = [
    pod("db-0", { role: "replica", ready: true }),
    pod("db-1", { role: "primary", ready: true, annotations: primaryMeta("2") }),
  ];
  const plan = planRoles(database(2, { primary: "db-0" }), pods, opts);
  assert.equal(plan.primary, "db-1");
  assert.deepEqual(plan.patches, []);
});

Deno.test("planRoles(): a switchover demotes, hands over at the final LSN, and finishes", () => {
  const db = database(2, { primary: "db-0", switchoverTo: "db-1" });
  // Step 1: the old primary is relabelled replica with a demote id.
  let pods = [
    pod("db-0", { role: "primary", ready: true, annotations: primaryMeta("2") }),
    pod("db-1", { role: "replica", ready: true }),
  ];
  let plan = planRoles(db, pods, opts);
  assert.equal(plan.primary, "db-0");
  assert.deepEqual(plan.patches, [{
    pod: "db-0",
    patch: {
      metadata: {
        labels: { [ROLE]: "replica" },
        annotations: { [REPLICAS]: null, [DEMOTE]: "id-1", [DEMOTE_BY]: String(T0 / 1000 + 120) },
      },
    },
  }]);
  // Still running, or an older message: wait.
  for (const message of [undefined, "pgop demoted: id=id-0 lsn=0/1000 timeline=1"]) {
    pods = [
      pod("db-0", { role: "replica", annotations: { [DEMOTE]: "id-1" }, message }),
      pod("db-1", { role: "replica", ready: true }),
    ];
    plan = planRoles(db, pods, opts);
    assert.deepEqual([plan.primary, plan.patches, plan.switchover], ["db-0", [], undefined]);
  }
  // Step 2: its message with this id: the target is labelled primary at that LSN.
  pods[0] = pod("db-0", {
    role: "replica",
    annotations: { [DEMOTE]: "id-1" },
    message: "pgop demoted: id=id-1 lsn=0/3000028 timeline=1",
  });
  plan = planRoles(db, pods, opts);
  assert.equal(plan.primary, "db-1");
  assert.deepEqual(plan.patches, [{
    pod: "db-1",
    patch: {
      metadata: {
        labels: { [ROLE]: "primary" },
        annotations: {
          [REPLICAS]: "2",
          [LSN]: "0/3000028",
          [DEADLINE]: String(T0 / 1000 + 60),
          [FROM]: "db-0",
        },
      },
    },
  }]);
  // Step 3: promoted and ready: done, the LSN mark removed.
  const handover = { [LSN]: "0/3000028", [DEADLINE]: String(T0 / 1000 + 60), [FROM]: "db-0" };
  pods[1] = pod("db-1", {
    role: "primary",
    ready: true,
    annotations: { [REPLICAS]: "2", ...handover },
  });
  plan = planRoles({ ...db, status: { primary: "db-1" } }, pods, opts);
  assert.equal(plan.primary, "db-1");
  assert.deepEqual(plan.patches, [{
    pod: "db-1",
    patch: { metadata: { annotations: { [LSN]: null, [DEADLINE]: null, [FROM]: null } } },
  }]);
  assert.equal(plan.switchover?.outcome, "done");
});

Deno.test("planRoles(): a switchover is refused unless both ends are ready pods", () => {
  const table: Array<[string, Pod[], RegExp]> = [
    ["db-5", [pod("db-0", { role: "primary", ready: true })], /not a pod/],
    [
      "db-1",
      [pod("db-0", { role: "primary", ready: true }), pod("db-1", { role: "replica" })],
      /not streaming/,
    ],
    [
      "db-1",
      [pod("db-0", { role: "primary" }), pod("db-1", { role: "replica", ready: true })],
      /not ready/,
    ],
  ];
  for (const [target, pods, message] of table) {
    const plan = planRoles(database(2, { primary: "db-0", switchoverTo: target }), pods, {
      ...opts,
    });
    assert.equal(plan.switchover?.outcome, "refused", target);
    assert.match(plan.switchover?.message ?? "", message);
    assert.ok(
      !plan.patches.some((p) =>
        p.patch.metadata.labels?.[ROLE] === "replica" &&
        p.pod === "db-0"
      ),
    );
  }
});

Deno.test("planRoles(): an abandoned switchover gives the primary its label back", () => {
  const pods = [
    pod("db-0", { role: "replica", annotations: { [DEMOTE]: "id-1" } }),
    pod("db-1", { role: "replica", ready: true }),
  ];
  const plan = planRoles(database(2, { primary: "db-0" }), pods, opts);
  assert.equal(plan.primary, "db-0");
  assert.deepEqual(plan.patches, [{
    pod: "db-0",
    patch: {
      metadata: {
        labels: { [ROLE]: "primary" },
        annotations: { [REPLICAS]: "2", [DEMOTE]: null },
      },
    },
  }]);
});

Deno.test("planRoles(): a target not ready in time gives the role back to the old primary", () => {
  const handover = { [LSN]: "0/3000028", [DEADLINE]: String(T0 / 1000 + 60), [FROM]: "db-0" };
  const pods = [
    pod("db-0", { role: "replica", annotations: { [DEMOTE]: "id-1" } }),
    pod("db-1", { role: "primary", annotations: { [REPLICAS]: "2", ...handover } }),
  ];
  const db = database(2, { primary: "db-1", switchoverTo: "db-1" });
  // Within the bound: wait.
  let plan = planRoles(db, pods, { newDemoteId: ids, now: T0 + 90_000 });
  assert.deepEqual([plan.primary, plan.patches, plan.switchover], ["db-1", [], undefined]);
  // Past it: db-1 back to replica, db-0 primary, the request refused.
  plan = planRoles(db, pods, { newDemoteId: ids, now: T0 + 91_000 });
  assert.equal(plan.primary, "db-0");
  assert.deepEqual(plan.patches, [
    {
      pod: "db-1",
      patch: {
        metadata: {
          labels: { [ROLE]: "replica" },
          annotations: { [REPLICAS]: null, [LSN]: null, [DEADLINE]: null, [FROM]: null },
        },
      },
    },
    {
      pod: "db-0",
      patch: {
        metadata: {
          labels: { [ROLE]: "primary" },
          annotations: { [REPLICAS]: "2", [DEMOTE]: null },
        },
      },
    },
  ]);
  assert.equal(plan.switchover?.outcome, "refused");
  assert.match(plan.switchover?.message ?? "", /db-0 is primary again/);
});

Deno.test("planRoles(): scaling down below the primary switches over to pod 0 first", () => {
  const pods = [
    pod("db-0", { role: "replica", ready: true }),
    pod("db-1", { role: "replica", ready: true }),
    pod("db-2", { role: "primary", ready: true, annotations: primaryMeta("3") }),
  ];
  const plan = planRoles(database(1, { primary: "db-2" }), pods, opts);
  assert.equal(plan.primary, "db-2");
  assert.deepEqual(plan.patches[0], {
    pod: "db-2",
    patch: {
      metadata: {
        labels: { [ROLE]: "replica" },
        annotations: { [REPLICAS]: null, [DEMOTE]: "id-1", [DEMOTE_BY]: String(T0 / 1000 + 120) },
      },
    },
  });
});

Deno.test("planRoles(): a relabel carries the resourceVersion it was planned against", () => {
  const p = pod("db-0", { role: "replica" });
  p.metadata = { ...p.metadata, resourceVersion: "42" };
  const [patch] = planRoles(database(1), [p], opts).patches;
  assert.equal(patch.resourceVersion, "42");
  // A pod's first label needs none: a new pod changes fast (scheduled, started),
  // and its own version says nothing about who else is primary.
  const fresh = pod("db-0");
  fresh.metadata = { ...fresh.metadata, resourceVersion: "43" };
  assert.equal(planRoles(database(1), [fresh], opts).patches[0].resourceVersion, undefined);
});

Deno.test("planRoles(): an old primary that never reports its final LSN is primary again", () => {
  const demoting = { [DEMOTE]: "id-1", [DEMOTE_BY]: String(T0 / 1000 + 120) };
  const pods = [
    pod("db-0", { role: "replica", annotations: demoting }),
    pod("db-1", { role: "replica", ready: true }),
  ];
  const db = database(2, { primary: "db-0", switchoverTo: "db-1" });
  let plan = planRoles(db, pods, { newDemoteId: ids, now: T0 + 120_000 });
  assert.deepEqual([plan.patches, plan.switchover], [[], undefined]);
  plan = planRoles(db, pods, { newDemoteId: ids, now: T0 + 121_000 });
  assert.equal(plan.primary, "db-0");
  assert.deepEqual(plan.patches, [{
    pod: "db-0",
    patch: {
      metadata: {
        labels: { [ROLE]: "primary" },
        annotations: { [REPLICAS]: "2", [DEMOTE]: null, [DEMOTE_BY]: null },
      },
    },
  }]);
  assert.equal(plan.switchover?.outcome, "refused");
  assert.match(plan.switchover?.message ?? "", /did not report its final LSN/);
});
