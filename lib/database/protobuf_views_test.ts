import assert from "node:assert/strict";
import type { Pod, Service } from "kubernetes-types/core/v1.d.ts";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { decodeObject } from "../kube/kube_protobuf.ts";
import type { KubeObject } from "../kube/types.ts";
import { projectMetadataOnly, projectStatefulSet } from "./projection.ts";
import { projectPod } from "./pods.ts";
import { METADATA_VIEW, POD_VIEW, STATEFULSET_VIEW } from "./protobuf_views.ts";

const testdata = new URL("./testdata/", import.meta.url);

async function pair<T extends KubeObject>(name: string, schema: typeof METADATA_VIEW) {
  const json = JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, testdata))) as T;
  const proto = decodeObject<T>(await Deno.readFile(new URL(`${name}.pb`, testdata)), schema);
  return { json, proto };
}

// The captures are one object read from the API server in both encodings.
Deno.test("STATEFULSET_VIEW decodes what the projection keeps of a StatefulSet, as JSON has it", async () => {
  const { json, proto } = await pair<StatefulSet>("statefulset", STATEFULSET_VIEW);
  assert.ok(json.metadata?.managedFields?.length, "the capture has managedFields");
  assert.deepEqual(projectStatefulSet(proto), projectStatefulSet(json));
  assert.deepEqual(proto.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests, {
    storage: json.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage,
  });
  assert.equal(proto.spec?.template, undefined, "the pod template is skipped");
});

Deno.test("METADATA_VIEW decodes what the projection keeps of a Service, as JSON has it", async () => {
  const { json, proto } = await pair<Service>("service", METADATA_VIEW);
  assert.deepEqual(projectMetadataOnly(proto), projectMetadataOnly(json));
  assert.equal(proto.spec, undefined);
});

Deno.test("POD_VIEW decodes what projectPod keeps of a pod that cannot pull its image, as JSON has it", async () => {
  const { json, proto } = await pair<Pod>("pod", POD_VIEW);
  const waiting = json.status?.containerStatuses?.[0]?.state?.waiting;
  assert.match(
    waiting?.reason ?? "",
    /ErrImagePull|ImagePullBackOff/,
    "the capture is of a failing pod",
  );
  assert.deepEqual(projectPod(proto), projectPod(json));
  assert.equal(proto.spec, undefined, "the pod spec is skipped");
});
