import assert from "node:assert/strict";
import { Resources } from "../kube/resource.ts";
import type { KubeClient, KubeObject, ListPage, WatchEvent } from "../kube/types.ts";
import { FencedClient } from "./fenced_client.ts";
import { LeadershipLostError } from "./elector_options.ts";

/** A client that records the methods called and answers with empty objects. */
function recording(): { client: KubeClient; calls: string[] } {
  const calls: string[] = [];
  const answer = <T>(method: string, value: T) => {
    calls.push(method);
    return Promise.resolve(value);
  };
  const client: KubeClient = {
    list: <T extends KubeObject>() => answer("list", { items: [] as T[] } as ListPage<T>),
    watch: <T extends KubeObject>() => {
      calls.push("watch");
      return (async function* (): AsyncGenerator<WatchEvent<T>> {})();
    },
    get: <T extends KubeObject>() => answer("get", {} as T),
    create: <T extends KubeObject>() => answer("create", {} as T),
    update: <T extends KubeObject>() => answer("update", {} as T),
    apply: <T extends KubeObject>() => answer("apply", {} as T),
    patch: <T extends KubeObject>() => answer("patch", {} as T),
    delete: () => answer("delete", undefined),
  };
  return { client, calls };
}

const writes = (c: KubeClient) => [
  () => c.create(Resources.secrets, {}),
  () => c.update(Resources.secrets, {}),
  () => c.apply(Resources.secrets, {}, { fieldManager: "pgop" }),
  () => c.patch(Resources.secrets, "s", {}, { type: "merge" }),
  () => c.delete(Resources.secrets, "s"),
];

Deno.test("FencedClient refuses every write without sending it while the fence is down", async () => {
  const { client, calls } = recording();
  let asked = 0;
  const fenced = new FencedClient(client, () => (asked++, false));
  for (const write of writes(fenced)) {
    await assert.rejects(write(), LeadershipLostError);
  }
  assert.equal(asked, 5, "the fence is asked at each write");
  assert.deepEqual(calls, []);
});

Deno.test("FencedClient passes writes while the fence is up, and reads and watches always", async () => {
  const { client, calls } = recording();
  let up = true;
  const fenced = new FencedClient(client, () => up);
  for (const write of writes(fenced)) await write();
  up = false;
  await fenced.list(Resources.secrets);
  await fenced.get(Resources.secrets, "s");
  for await (const _ of fenced.watch(Resources.secrets)) break;
  assert.deepEqual(calls, ["create", "update", "apply", "patch", "delete", "list", "get", "watch"]);
});
