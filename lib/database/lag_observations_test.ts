import assert from "node:assert/strict";
import type { KubeObject } from "../kube/types.ts";
import { LAG_STEP_BYTES, lagMoved, LagObservations, nextObservation } from "./lag_observations.ts";

const MiB = LAG_STEP_BYTES;
const meta = { name: "db", namespace: "ns" };

Deno.test("lagMoved() needs a move of 1 MiB and of half the shown lag", () => {
  const table: [number | undefined, number | undefined, boolean][] = [
    [0, 0, false],
    [0, MiB - 1, false],
    [0, MiB, true],
    [5 * MiB, 4 * MiB, false],
    [5 * MiB, 7 * MiB, false],
    [5 * MiB, 7.5 * MiB, true],
    [5 * MiB, 0, true],
    [100 * MiB, 60 * MiB, false],
    [100 * MiB, 150 * MiB, true],
    [undefined, 0, true],
    [0, undefined, true],
    [undefined, undefined, false],
  ];
  for (const [shown, measured, moved] of table) {
    assert.equal(lagMoved(shown, measured), moved, `${shown} → ${measured}`);
  }
});

Deno.test("nextObservation() keeps a shown lag until it moves, and starts afresh on a new primary", () => {
  const first = nextObservation(undefined, meta, "db-0", [
    { name: "db-1", streaming: true, lagBytes: 100 },
    { name: "db-2", streaming: true },
  ]);
  assert.deepEqual(first, { metadata: meta, primary: "db-0", lagBytes: { "db-1": 100 } });
  const wiggle = nextObservation(first, meta, "db-0", [
    { name: "db-1", streaming: true, lagBytes: 300_000 },
    { name: "db-2", streaming: true, lagBytes: 0 },
  ]);
  assert.deepEqual(wiggle.lagBytes, { "db-1": 100, "db-2": 0 });
  const behind = nextObservation(wiggle, meta, "db-0", [
    { name: "db-1", streaming: false, lagBytes: 3 * MiB },
  ]);
  assert.deepEqual(behind.lagBytes, { "db-1": 3 * MiB }, "db-2 gone from pg_stat_replication");
  const switched = nextObservation(behind, meta, "db-1", [
    { name: "db-0", streaming: true, lagBytes: 5 },
    { name: "db-1", streaming: true, lagBytes: 7 },
  ]);
  assert.deepEqual(switched, { metadata: meta, primary: "db-1", lagBytes: { "db-0": 5 } });
});

Deno.test("LagObservations tells handlers of changes only", () => {
  const observations = new LagObservations();
  const events: string[] = [];
  const name = (o: KubeObject) => o.metadata?.name;
  const remove = observations.addHandler({
    onAdd: (o) => events.push(`add ${name(o)}`),
    onUpdate: (_, o) => events.push(`update ${name(o)}`),
    onDelete: (o) => events.push(`delete ${name(o)}`),
  });
  const one = nextObservation(undefined, meta, "db-0", [{ name: "db-1", streaming: true }]);
  observations.set(one);
  observations.set(nextObservation(one, meta, "db-0", [{ name: "db-1", streaming: true }]));
  observations.set(
    nextObservation(one, meta, "db-0", [{ name: "db-1", streaming: true, lagBytes: 0 }]),
  );
  assert.equal(observations.store.get("ns/db")?.lagBytes["db-1"], 0);
  observations.delete("ns/db");
  observations.delete("ns/db");
  assert.deepEqual(events, ["add db", "update db", "delete db"]);
  remove();
  observations.set(one);
  assert.equal(events.length, 3);
  const late: string[] = [];
  observations.addHandler({ onAdd: (o) => late.push(`${name(o)}`) });
  assert.deepEqual(late, ["db"], "a new handler hears of what is stored");
});
