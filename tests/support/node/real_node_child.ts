/**
 * A runner that starts a cluster with one real node and a running pod, prints
 * `READY <cluster dir>` and waits to be killed: the reaper test SIGKILLs it
 * and checks that the reaper leaves nothing behind.
 *
 * @module
 */
import { stringify } from "yaml";
import { LocalCluster } from "../cluster.ts";
import { waitUntil } from "../wait.ts";
import { PAUSE_IMAGE } from "../images.ts";

if (import.meta.main) {
  const cluster = await LocalCluster.start({ realNodes: 1, nodes: 0 });
  await cluster.kubectl(["create", "-f", "-"], {
    input: stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "sleeper", namespace: "default" },
      spec: {
        containers: [{ name: "main", image: PAUSE_IMAGE, imagePullPolicy: "IfNotPresent" }],
      },
    }),
  });
  await waitUntil(
    "pod sleeper Running",
    async () =>
      (await cluster.kubectl(["get", "pod", "sleeper", "-o", "jsonpath={.status.phase}"])) ===
        "Running",
  );
  console.log(`READY ${cluster.dir}`);
  // Killed from outside; never stops on its own.
  await new Promise(() => {});
}
