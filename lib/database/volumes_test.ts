import assert from "node:assert/strict";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { ApiError } from "../kube/errors.ts";
import type { EventInfo, EventRecorder } from "../kube/event_recorder.ts";
import type { KubeClient } from "../kube/types.ts";
import { sampleDatabase } from "../../tests/support/database_fixture.ts";
import { computeStatus } from "./status.ts";
import type { Database } from "./types.ts";
import { VolumeResizer } from "./volumes.ts";

/** A client whose only call is patch; `refuse` makes it answer 403. */
function fakeClient(refuse = false) {
  const patched: string[] = [];
  const client = {
    patch: (_resource: unknown, name: string) => {
      patched.push(name);
      return refuse
        ? Promise.reject(new ApiError(403, { message: "storage class cannot expand" }))
        : Promise.resolve({});
    },
  } as unknown as KubeClient;
  return { client, patched };
}

function recorder() {
  const events: EventInfo[] = [];
  const events_: EventRecorder = { record: (_obj, e) => Promise.resolve(void events.push(e)) };
  return { events, recorder: events_ };
}

const sts = (replicas: number): StatefulSet => ({
  spec: {
    replicas,
    volumeClaimTemplates: [{
      metadata: { name: "data" },
      spec: { resources: { requests: { storage: "1Gi" } } },
    }],
  },
} as unknown as StatefulSet);

const db = (uid: string, size = "2Gi"): Database => {
  const d = sampleDatabase({ storage: { size } });
  return { ...d, metadata: { ...d.metadata, uid } };
};

const signal = new AbortController().signal;

Deno.test("VolumeResizer asks once per claim and size, and remembers a bounded number of claims", async () => {
  const { client, patched } = fakeClient();
  const resizer = new VolumeResizer(client, recorder().recorder, { maxClaims: 3 });
  assert.equal(await resizer.grow(db("a"), sts(2), signal), undefined);
  await resizer.grow(db("a"), sts(2), signal);
  assert.equal(patched.length, 2, "each claim once");
  await resizer.grow(db("b"), sts(2), signal);
  assert.equal(resizer.size, 3, "never more than maxClaims");
  assert.equal(await resizer.grow(db("c", "1Gi"), sts(1), signal), undefined, "no growth asked");
  assert.equal(patched.length, 4);
});

Deno.test("VolumeResizer reports a refused resize on every call, with one Warning event", async () => {
  const { client, patched } = fakeClient(true);
  const { events, recorder: r } = recorder();
  const resizer = new VolumeResizer(client, r);
  const first = await resizer.grow(db("a"), sts(1), signal);
  assert.match(
    first ?? "",
    /Could not grow volume "data-db-0" to 2Gi: storage class cannot expand/,
  );
  assert.equal(await resizer.grow(db("a"), sts(1), signal), first);
  assert.equal(patched.length, 1, "not retried until the size changes");
  assert.equal(events.length, 1);
  assert.equal(events[0].reason, "StorageResizeFailed");

  const status = computeStatus(
    db("a"),
    { statefulSet: sts(1), storage: first },
    "2026-01-01T00:00:00Z",
  );
  const degraded = status.conditions?.find((c) => c.type === "Degraded");
  assert.equal(degraded?.status, "True");
  assert.equal(degraded?.reason, "StorageResizeFailed");
});
