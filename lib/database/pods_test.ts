import assert from "node:assert/strict";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { ContainerStatus, Pod } from "kubernetes-types/core/v1.d.ts";
import { podKeys, podProblem, podProblemChanged } from "./pods.ts";
import { newProjections } from "./projection.ts";

const projectPod = newProjections().pod;

const sts: StatefulSet = {
  metadata: { name: "db", namespace: "ns", uid: "sts-uid" },
  spec: { replicas: 2, serviceName: "db-headless", selector: {}, template: {} },
};

function pod(
  name: string,
  status: Pod["status"],
  options: { owner?: string; deleting?: boolean } = {},
): Pod {
  return {
    metadata: {
      name,
      namespace: "ns",
      resourceVersion: "7",
      labels: {
        "app.kubernetes.io/instance": "db",
        "app.kubernetes.io/name": "postgresql",
        "controller-revision-hash": "db-5d4f",
      },
      annotations: { note: "x" },
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        name: "db",
        uid: options.owner ?? "sts-uid",
        controller: true,
      }],
      ...(options.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    },
    spec: { containers: [{ name: "postgres", image: "x" }] },
    status,
  };
}

function container(state: ContainerStatus["state"], restartCount = 0): ContainerStatus {
  return { name: "postgres", image: "x", imageID: "", ready: false, restartCount, state };
}

function waiting(reason: string, message = `${reason} message`): Pod["status"] {
  return { phase: "Pending", containerStatuses: [container({ waiting: { reason, message } })] };
}

Deno.test("podProblem() reports the first pod that cannot run, in the kubelet's words", () => {
  const running = {
    phase: "Running",
    containerStatuses: [container({ running: { startedAt: "2026-01-01T00:00:00Z" } })],
  };
  const table: Array<[string, Array<Pod | undefined>, string | undefined]> = [
    ["no pods", [], undefined],
    ["missing pod", [undefined], undefined],
    ["running", [pod("db-0", running)], undefined],
    ["creating", [pod("db-0", waiting("ContainerCreating"))], undefined],
    ["initializing", [pod("db-0", waiting("PodInitializing"))], undefined],
    ["no status yet", [pod("db-0", undefined)], undefined],
    [
      "pull error",
      [pod("db-0", waiting("ErrImagePull"))],
      "db-0 ErrImagePull ErrImagePull message",
    ],
    ["pull back-off", [pod("db-0", waiting("ImagePullBackOff"))], "db-0 ImagePullBackOff"],
    ["crash loop", [pod("db-0", waiting("CrashLoopBackOff"))], "db-0 CrashLoopBackOff"],
    ["config error", [pod("db-0", waiting("CreateContainerConfigError"))], "db-0 Create"],
    [
      "unschedulable",
      [pod("db-0", {
        phase: "Pending",
        conditions: [{
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/3 nodes are available",
        }],
      })],
      "db-0 Unschedulable 0/3 nodes are available",
    ],
    [
      "a scheduler error is retried, not reported",
      [pod("db-0", {
        phase: "Pending",
        conditions: [{
          type: "PodScheduled",
          status: "False",
          reason: "SchedulerError",
          message: 'running PreBind plugin "VolumeBinding": conflict',
        }],
      })],
      undefined,
    ],
    [
      "terminated",
      [pod("db-0", {
        phase: "Running",
        containerStatuses: [container({ terminated: { exitCode: 1, reason: "Error" } })],
      })],
      "db-0 Error ",
    ],
    [
      "terminated without a reason",
      [pod("db-0", { containerStatuses: [container({ terminated: { exitCode: 137 } })] })],
      "db-0 Terminated",
    ],
    [
      "evicted",
      [pod("db-0", { phase: "Failed", reason: "Evicted", message: "low" })],
      "db-0 Evicted low",
    ],
    ["failed without a reason", [pod("db-0", { phase: "Failed" })], "db-0 PodFailed"],
    ["another owner", [pod("db-0", waiting("ErrImagePull"), { owner: "old" })], undefined],
    ["being deleted", [pod("db-0", waiting("ErrImagePull"), { deleting: true })], undefined],
    [
      "first problem in order",
      [pod("db-0", running), pod("db-1", waiting("CrashLoopBackOff")), pod("db-2", waiting("X"))],
      "db-1 CrashLoopBackOff",
    ],
  ];
  for (const [what, pods, want] of table) {
    for (const form of ["whole", "projected"]) {
      const input = form === "whole" ? pods : pods.map((p) => p && projectPod(p));
      const got = podProblem(sts, input);
      const text = got && `${got.pod} ${got.reason} ${got.message}`;
      if (want === undefined) assert.equal(text, undefined, `${what} (${form})`);
      else assert.ok(text?.startsWith(want), `${what} (${form}): ${text}`);
    }
  }
});

Deno.test("podProblem() needs the StatefulSet's uid to trust a pod", () => {
  const noUid = { ...sts, metadata: { name: "db", namespace: "ns" } };
  assert.equal(podProblem(noUid, [pod("db-0", waiting("ErrImagePull"))]), undefined);
});

Deno.test("the pod view keeps only what podProblem(), the roles and the cache need", () => {
  const base = pod("db-0", {
    phase: "Pending",
    hostIP: "127.0.0.1",
    conditions: [
      { type: "Ready", status: "False", reason: "ContainersNotReady" },
      { type: "PodScheduled", status: "True" },
    ],
    containerStatuses: [{
      ...container({ waiting: { reason: "ErrImagePull", message: "nope" } }, 3),
      lastState: { terminated: { exitCode: 0, message: "pgop demoted: id=a lsn=0/1 timeline=1" } },
    }],
  });
  const whole: Pod = {
    ...base,
    metadata: {
      ...base.metadata,
      labels: { ...base.metadata?.labels, "database.example.com/role": "replica" },
      annotations: { note: "x", "database.example.com/demote-id": "a" },
    },
  };
  assert.deepEqual(projectPod(whole), {
    metadata: {
      name: "db-0",
      namespace: "ns",
      resourceVersion: "7",
      labels: { "app.kubernetes.io/instance": "db", "database.example.com/role": "replica" },
      annotations: { "database.example.com/demote-id": "a" },
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        name: "db",
        uid: "sts-uid",
        controller: true,
      }],
    },
    status: {
      phase: "Pending",
      conditions: [{ type: "Ready", status: "False" }],
      containerStatuses: [{
        name: "postgres",
        ready: false,
        state: { waiting: { reason: "ErrImagePull", message: "nope" } },
        lastState: {
          terminated: { exitCode: 0, message: "pgop demoted: id=a lsn=0/1 timeline=1" },
        },
      }],
    },
  });
  assert.deepEqual(projectPod(projectPod(whole)), projectPod(whole), "projecting twice is stable");
});

Deno.test("podKeys() names the pods a StatefulSet wants", () => {
  assert.deepEqual(podKeys(sts), ["ns/db-0", "ns/db-1"]);
  assert.deepEqual(
    podKeys({ ...sts, spec: { ...sts.spec as StatefulSet["spec"] & object, replicas: 0 } }),
    [],
  );
  assert.deepEqual(podKeys({ metadata: { name: "db" } }), []);
});

Deno.test("podProblemChanged() ignores restarts and times, sees new reasons and deletions", () => {
  const a = pod("db-0", { containerStatuses: [container({ waiting: { reason: "X" } }, 1)] });
  const b = pod("db-0", { containerStatuses: [container({ waiting: { reason: "X" } }, 2)] });
  const c = pod("db-0", { containerStatuses: [container({ waiting: { reason: "Y" } }, 2)] });
  const healthy = pod("db-0", { phase: "Running" });
  assert.equal(podProblemChanged(a, b), false);
  assert.equal(podProblemChanged(b, c), true);
  assert.equal(podProblemChanged(undefined, healthy), false, "a healthy pod appearing");
  assert.equal(podProblemChanged(healthy, undefined), false, "a healthy pod going");
  assert.equal(podProblemChanged(undefined, a), true);
  assert.equal(podProblemChanged(a, undefined), true);
  assert.equal(podProblemChanged(healthy, pod("db-0", undefined, { deleting: true })), true);
});
