import assert from "node:assert/strict";
import { MemoryLeases } from "../../tests/support/memory_leases.ts";
import type { LeaderElectorOptions } from "./elector_options.ts";
import { LeaderElector } from "./leader_elector.ts";

Deno.test("LeaderElector validates its options like client-go", () => {
  const client = new MemoryLeases().client();
  const base: LeaderElectorOptions = {
    client,
    namespace: "ns",
    name: "pgop",
    identity: "a",
    onStartedLeading: () => {},
    onStoppedLeading: () => {},
  };
  const bad: Partial<LeaderElectorOptions>[] = [
    { leaseDurationMs: 10_000 }, // not above renewDeadline
    { renewDeadlineMs: 2_400 }, // not above 1.2 × retryPeriod
    { retryPeriodMs: 0 },
    { leaseDurationMs: Number.NaN },
    { renewDeadlineMs: -1 },
    { identity: "" },
    { name: "" },
    { namespace: "" },
  ];
  for (const options of bad) {
    assert.throws(
      () => new LeaderElector({ ...base, ...options }),
      RangeError,
      JSON.stringify(options),
    );
  }
  new LeaderElector({
    ...base,
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_500,
    retryPeriodMs: 2_000,
  });
});
