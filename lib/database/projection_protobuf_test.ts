import assert from "node:assert/strict";
import type { Pod, Service } from "kubernetes-types/core/v1.d.ts";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { decodeObject } from "../kube/kube_protobuf.ts";
import type { KubeObject } from "../kube/types.ts";
import type { MessageSchema } from "../kube/protobuf.ts";
import { newProjections } from "./projection.ts";

const {
  views,
  statefulSet: projectStatefulSet,
  metadataOnly: projectMetadataOnly,
  pod: projectPod,
} = newProjections();

const testdata = new URL("./testdata/", import.meta.url);

async function pair<T extends KubeObject>(name: string, schema: MessageSchema) {
  const json = JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, testdata))) as T;
  const proto = decodeObject<T>(await Deno.readFile(new URL(`${name}.pb`, testdata)), schema);
  return { json, proto };
}

// The captures are one object read from the API server in both encodings.
Deno.test("the StatefulSet view decodes what its projection keeps of JSON", async () => {
  const { json, proto } = await pair<StatefulSet>("statefulset", views.statefulSet);
  assert.ok(json.metadata?.managedFields?.length, "the capture has managedFields");
  assert.deepEqual(projectStatefulSet(proto), projectStatefulSet(json));
  assert.deepEqual(proto.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests, {
    storage: json.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage,
  });
  assert.equal(proto.spec?.template, undefined, "the pod template is skipped");
});

Deno.test("the metadata view decodes what its projection keeps of a Service's JSON", async () => {
  const { json, proto } = await pair<Service>("service", views.metadataOnly);
  assert.deepEqual(projectMetadataOnly(proto), projectMetadataOnly(json as KubeObject));
  assert.equal(proto.spec, undefined);
});

Deno.test("the pod view decodes what its projection keeps of a pod that cannot pull its image", async () => {
  const { json, proto } = await pair<Pod>("pod", views.pod);
  assert.ok(
    json.status?.containerStatuses?.some((c) => c.state?.waiting?.reason),
    "the capture is of a failing pod",
  );
  assert.deepEqual(projectPod(proto), projectPod(json));
  assert.equal(proto.status?.podIP, json.status?.podIP, "the address pgop observes lag at");
  assert.deepEqual(proto.spec, { nodeName: json.spec?.nodeName }, "of the spec only its node");
});
