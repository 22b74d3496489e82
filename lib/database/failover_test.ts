import assert from "node:assert/strict";
import type { Node, Pod } from "kubernetes-types/core/v1.d.ts";
import {
  assessPrimary,
  decideFailover,
  effectiveSynchronous,
  type NodeLookup,
  streamedSinceStart,
} from "./failover.ts";
import { planRoles } from "./pod_roles.ts";
import type { Database } from "./types.ts";

const ROLE = "database.example.com/role";
const SYNC = "database.example.com/synchronous";
const FROM = "database.example.com/failover-from";
const T0 = Date.parse("2026-01-01T00:00:00Z");
const DELAY = 30_000;
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d+Z$/, "Z");

function database(
  o: { synchronous?: number; replicas?: number; status?: Database["status"] } = {},
) {
  return {
    apiVersion: "database.example.com/v1",
    kind: "Database",
    metadata: { name: "db", namespace: "ns", uid: "u" },
    spec: {
      image: "postgres:15",
      replicas: o.replicas ?? 2,
      databaseName: "app",
      username: "app",
      storage: { size: "1Gi" },
      ...(o.synchronous ? { replication: { synchronous: o.synchronous } } : {}),
    },
    ...(o.status ? { status: o.status } : {}),
  } as Database;
}

interface PodOptions {
  role?: "primary" | "replica";
  ready?: boolean;
  /** Seconds after T0 of the Ready condition's last transition. */
  since?: number;
  /** Seconds after T0 the container started; undefined: not running. */
  started?: number;
  node?: string;
  terminating?: boolean;
}

function pod(name: string, o: PodOptions = {}): Pod {
  return {
    metadata: {
      name,
      labels: o.role ? { [ROLE]: o.role } : {},
      resourceVersion: "1",
      creationTimestamp: at(-600),
      ...(o.terminating ? { deletionTimestamp: at(0) } : {}),
    },
    ...(o.node === "" ? {} : { spec: { nodeName: o.node ?? "n1", containers: [] } }),
    status: {
      conditions: [{
        type: "Ready",
        status: o.ready ? "True" : "False",
        ...(o.since === undefined ? {} : { lastTransitionTime: at(o.since) }),
      }],
      containerStatuses: [{
        name: "postgres",
        ready: o.ready ?? false,
        restartCount: 0,
        image: "",
        imageID: "",
        state: o.started === undefined ? {} : { running: { startedAt: at(o.started) } },
      }],
    },
  };
}

function node(ready: "True" | "False" | "Unknown"): Node {
  return { status: { conditions: [{ type: "Ready", status: ready }] } };
}

/** The primary on n1, lost at T0; a standby on n2 that streamed until T0 + 2 s. */
const lostPrimary = pod("db-0", { role: "primary", since: 0, started: -500, node: "n1" });
const standby = pod("db-1", { role: "replica", since: 2, started: -400, node: "n2" });

Deno.test("assessPrimary() waits for the delay from the Ready transition, then suspects", () => {
  const pods = [lostPrimary, standby];
  assert.deepEqual(assessPrimary("db-0", pods, { now: T0 + 10_000, delayMs: DELAY }), {
    kind: "waiting",
    atMs: T0 + DELAY,
  });
  const late = assessPrimary("db-0", pods, { now: T0 + DELAY, delayMs: DELAY });
  assert.equal(late.kind, "suspect");
  assert.deepEqual(late.kind === "suspect" ? late.nodes : [], ["n1", "n2"]);
});

Deno.test("assessPrimary() leaves a Ready primary, a missing pod, and one without standbys", () => {
  const now = T0 + 600_000;
  const ready = pod("db-0", { role: "primary", ready: true, since: 0, started: -10 });
  assert.equal(assessPrimary("db-0", [ready, standby], { now, delayMs: DELAY }).kind, "healthy");
  assert.equal(assessPrimary("db-0", [standby], { now, delayMs: DELAY }).kind, "healthy");
  // A standby that never streamed in its container (cloning, or restarted since) cannot take over.
  const cloning = pod("db-1", { role: "replica", since: -400, started: -300, node: "n2" });
  assert.equal(
    assessPrimary("db-0", [lostPrimary, cloning], { now, delayMs: DELAY }).kind,
    "healthy",
  );
});

Deno.test("streamedSinceStart() needs Ready now or lost after the container started", () => {
  assert.equal(streamedSinceStart(pod("a", { ready: true, since: 0, started: -1 })), true);
  assert.equal(streamedSinceStart(pod("a", { since: 5, started: 0 })), true);
  assert.equal(streamedSinceStart(pod("a", { since: 0, started: 0 })), false, "same second");
  assert.equal(streamedSinceStart(pod("a", { since: 5 })), false, "not running");
});

Deno.test("decideFailover() fails over only when the node is not Ready or gone", () => {
  const pods = [lostPrimary, standby];
  const now = T0 + DELAY;
  const opts = { now, delayMs: DELAY };
  const nodes = (n1: Node | null | undefined): NodeLookup =>
    new Map([...(n1 === undefined ? [] : [["n1", n1] as const]), ["n2", node("True")]]);
  // The node still Ready (a pod not Ready, or cut off from its peers only): never.
  assert.deepEqual(decideFailover("db-0", lostPrimary, pods, nodes(node("True")), opts), {
    kind: "none",
  });
  // The node could not be read: no evidence, no fail-over.
  assert.deepEqual(decideFailover("db-0", lostPrimary, pods, nodes(undefined), opts), {
    kind: "none",
  });
  for (const n1 of [node("Unknown"), node("False"), null]) {
    const decision = decideFailover("db-0", lostPrimary, pods, nodes(n1), opts);
    assert.equal(decision.kind, "failover");
    if (decision.kind === "failover") {
      assert.equal(decision.failover.from, "db-0");
      assert.equal(decision.failover.to, "db-1");
      assert.match(decision.failover.reason, /not Ready for over 30 s/);
    }
  }
  // The fresh read says Ready again (the cache was stale), or the delay has not passed.
  const readyAgain = pod("db-0", { role: "primary", ready: true, since: 31, started: -500 });
  assert.equal(decideFailover("db-0", readyAgain, pods, nodes(null), opts).kind, "none");
  assert.equal(
    decideFailover("db-0", lostPrimary, pods, nodes(null), { now: now - 1, delayMs: DELAY }).kind,
    "none",
  );
});

Deno.test("decideFailover() takes a Ready standby first, then the one that streamed last, then the lowest ordinal", () => {
  const nodes: NodeLookup = new Map([
    ["n1", node("Unknown")],
    ["n2", node("True")],
    ["n3", node("True")],
    ["n4", node("Unknown")],
  ]);
  const opts = { now: T0 + DELAY, delayMs: DELAY };
  const early = pod("db-1", { role: "replica", since: 1, started: -400, node: "n2" });
  const late = pod("db-2", { role: "replica", since: 3, started: -400, node: "n3" });
  const onLostNode = pod("db-3", {
    role: "replica",
    ready: true,
    since: 0,
    started: -9,
    node: "n4",
  });
  const choose = (pods: Pod[]) => {
    const d = decideFailover("db-0", lostPrimary, [lostPrimary, ...pods], nodes, opts);
    return d.kind === "failover" ? d.failover.to : d.kind;
  };
  assert.equal(choose([early, late, onLostNode]), "db-2");
  const tie = pod("db-2", { role: "replica", since: 1, started: -400, node: "n3" });
  assert.equal(choose([tie, early]), "db-1");
  const ready = pod("db-2", {
    role: "replica",
    ready: true,
    since: -100,
    started: -400,
    node: "n3",
  });
  assert.equal(choose([early, ready]), "db-2");
  assert.equal(choose([onLostNode]), "stuck");
});

Deno.test("a Pending primary without a node is lost from its creation on", () => {
  const pending: Pod = {
    metadata: { name: "db-0", labels: { [ROLE]: "primary" }, creationTimestamp: at(0) },
    status: { phase: "Pending" },
  };
  const nodes: NodeLookup = new Map([["n2", node("True")]]);
  const opts = { now: T0 + DELAY, delayMs: DELAY };
  const suspect = assessPrimary("db-0", [pending, standby], opts);
  assert.equal(suspect.kind, "suspect");
  const decision = decideFailover("db-0", pending, [pending, standby], nodes, opts);
  assert.equal(
    decision.kind === "failover" ? decision.failover.reason : "",
    'Primary "db-0" not Ready for over 30 s and it has no node',
  );
});

Deno.test("planRoles() with a fail-over labels the target primary at once and the lost pod replica", () => {
  const db = database({ synchronous: 1, status: { primary: "db-0" } });
  const plan = planRoles(db, [lostPrimary, standby], {
    newDemoteId: () => "x",
    now: T0 + DELAY,
    failover: { from: "db-0", to: "db-1" },
  });
  assert.equal(plan.primary, "db-1");
  assert.deepEqual(plan.patches.map((p) => [p.pod, p.patch.metadata.labels?.[ROLE]]), [
    ["db-1", "primary"],
    ["db-0", "replica"],
  ]);
  const target = plan.patches[0].patch.metadata.annotations ?? {};
  assert.equal(target[FROM], "db-0");
  // Two pods with synchronous: 1: commits would wait for the lost one; none is asked while it is away.
  assert.equal(target[SYNC], undefined);
});

Deno.test("effectiveSynchronous() lowers k while the lost primary has not been Ready since the fail-over", () => {
  const lastFailover = { from: "db-0", to: "db-1", time: at(30), reason: "" };
  const three = database({ synchronous: 2, replicas: 3, status: { lastFailover } });
  assert.equal(effectiveSynchronous(three, [lostPrimary]), 1);
  assert.equal(effectiveSynchronous(database({ synchronous: 1 }), [lostPrimary], "db-0"), 0);
  const back = pod("db-0", { role: "replica", ready: true, since: 90, started: 60 });
  assert.equal(effectiveSynchronous(three, [back]), 2);
  // Ready after the fail-over and not Ready again since (a restart): k as asked.
  const restarted = pod("db-0", { role: "replica", since: 120, started: 60 });
  assert.equal(effectiveSynchronous(three, [restarted]), 2);
  assert.equal(effectiveSynchronous(database({ synchronous: 1 }), [lostPrimary]), 1);
});
