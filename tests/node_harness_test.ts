/**
 * The real-node harness itself (tests/support/node/): a kubelet node beside a
 * kwok node, pods that really run, cluster DNS, storage that honours fsGroup,
 * and the egress guard. The PostgreSQL tests build on this (real_node_test.ts).
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { withCluster } from "./support/cluster.ts";
import { PSQL_IMAGE } from "./support/images.ts";
import { realNodeUnavailable } from "./support/node/capability.ts";
import { REAL_NODE_KEY } from "./support/node/plan.ts";
import { STORAGE_CLASS } from "./support/node/provisioner.ts";
import { waitUntil } from "./support/wait.ts";

const CLIENT_IMAGE = PSQL_IMAGE;
/** RFC 5737 TEST-NET-2: documentation only, outside every network of this machine. */
const OUTSIDE = "198.51.100.1";
const unavailable = await realNodeUnavailable();

Deno.test({
  name:
    "real node: pods run, DNS answers cluster names only, volumes honour fsGroup, nothing leaves",
  ignore: unavailable !== undefined,
  async fn(t) {
    await withCluster({ realNodes: 1, nodes: 1 }, async (cluster) => {
      const [node] = cluster.realNodes.names;

      await t.step(
        "the real node is Ready beside the kwok node, tainted and labelled",
        async () => {
          assert.deepEqual(cluster.realNodes.names, ["127.0.0.1"]);
          const out = await cluster.kubectl([
            "get",
            "node",
            node,
            "-o",
            `jsonpath={.metadata.labels.pgop\\.dev/real-node} {.spec.taints[*].key} {.status.nodeInfo.containerRuntimeVersion}`,
          ]);
          assert.match(out, new RegExp(`^true ${REAL_NODE_KEY} containerd://`));
        },
      );

      await t.step("a pod without the toleration stays on kwok", async () => {
        await cluster.apply([{
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "on-kwok", namespace: "default" },
          spec: { containers: [{ name: "main", image: "nowhere.invalid/image:1" }] },
        }]);
        await waitUntil("pod on-kwok Running", async () => {
          const out = await cluster.kubectl([
            "get",
            "pod",
            "on-kwok",
            "-o",
            "jsonpath={.spec.nodeName} {.status.phase}",
          ]);
          return out === "kwok-node-0 Running";
        });
      });

      await t.step("a pod runs a command on the real node and its log is read", async () => {
        const result = await cluster.realNodes.runPod({
          name: "hello",
          image: CLIENT_IMAGE,
          command: ["sh", "-c", "echo hello from $(cat /etc/hostname)"],
        });
        assert.deepEqual(result, { exitCode: 0, logs: "hello from hello\n" });
      });

      await t.step("cluster DNS resolves Services, and nothing else", async () => {
        await cluster.apply([{
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "probe", namespace: "default" },
          spec: { ports: [{ port: 5432 }] },
        }]);
        const ip = (await cluster.kubectl([
          "get",
          "service",
          "probe",
          "-o",
          "jsonpath={.spec.clusterIP}",
        ])).trim();
        const result = await cluster.realNodes.runPod({
          name: "dns",
          image: CLIENT_IMAGE,
          command: [
            "sh",
            "-c",
            "getent hosts probe.default.svc.cluster.local; getent hosts probe.default.svc; " +
            "getent hosts probe; getent hosts example.com || echo outside: not found",
          ],
        });
        assert.equal(result.exitCode, 0, result.logs);
        const lines = result.logs.trim().split("\n");
        assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]), [ip, ip, ip, "outside:"]);
      });

      await t.step(
        "a volume of the default StorageClass honours fsGroup, and goes with its claim",
        async () => {
          await cluster.apply([
            {
              apiVersion: "v1",
              kind: "PersistentVolumeClaim",
              metadata: { name: "data", namespace: "default" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: "64Mi" } },
              },
            },
          ]);
          await cluster.kubectl(["create", "-f", "-"], {
            input: stringify({
              apiVersion: "v1",
              kind: "Pod",
              metadata: { name: "writer", namespace: "default" },
              spec: {
                restartPolicy: "Never",
                nodeSelector: { [REAL_NODE_KEY]: "true" },
                tolerations: [{ key: REAL_NODE_KEY, operator: "Exists", effect: "NoSchedule" }],
                securityContext: {
                  runAsUser: 999,
                  runAsGroup: 999,
                  fsGroup: 999,
                  runAsNonRoot: true,
                },
                containers: [{
                  name: "main",
                  image: CLIENT_IMAGE,
                  imagePullPolicy: "IfNotPresent",
                  command: [
                    "sh",
                    "-c",
                    "mkdir /data/pgdata && stat -c '%g %U' /data/pgdata && df -k /data | tail -1",
                  ],
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                }],
                volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
              },
            }),
          });
          await waitUntil("pod writer Succeeded", async () => {
            const phase = await cluster.kubectl([
              "get",
              "pod",
              "writer",
              "-o",
              "jsonpath={.status.phase}",
            ]);
            if (phase === "Failed") throw new Error(await cluster.kubectl(["logs", "writer"]));
            return phase === "Succeeded";
          }, { timeoutMs: 60_000 });
          const logs = await cluster.kubectl(["logs", "writer"]);
          assert.match(logs, /^999 \S+\n/);
          const volume = (await cluster.kubectl([
            "get",
            "pvc",
            "data",
            "-o",
            "jsonpath={.spec.volumeName} {.spec.storageClassName}",
          ]))
            .split(" ");
          assert.equal(volume[1], STORAGE_CLASS);
          await cluster.kubectl(["delete", "pod", "writer", "--wait=true"]);
          await cluster.kubectl(["delete", "pvc", "data", "--wait=true"]);
          await waitUntil("its volume deleted", async () => {
            const out = await cluster.kubectl(["get", "pv", "-o", "name"]);
            return !out.includes(volume[0]);
          });
        },
      );

      await t.step(
        "pods reach nothing outside the machine: the egress guard drops it",
        async () => {
          const before = await cluster.realNodes.egressGuardDrops();
          const result = await cluster.realNodes.runPod({
            name: "egress",
            image: CLIENT_IMAGE,
            command: [
              "bash",
              "-c",
              `timeout 3 bash -c 'exec 3<>/dev/tcp/${OUTSIDE}/443' && echo connected || echo blocked`,
            ],
          });
          assert.equal(result.logs.trim(), "blocked");
          const after = await cluster.realNodes.egressGuardDrops();
          assert.ok(after > before, `guard drops ${before} → ${after}`);
        },
      );
    });
  },
});
