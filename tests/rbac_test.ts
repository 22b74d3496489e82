/**
 * deploy/'s two install modes are enough and not more. For each, on the real
 * control plane: `kubectl apply -k deploy/<mode>`; pgop, authenticated as its
 * ServiceAccount with a real token (what a pod gets) and started with the
 * Deployment's own arguments (secure metrics included), takes the Lease,
 * drives Databases to Ready, grows a claim, serves a scrape, sees the
 * Databases deleted, and releases the Lease without a single 401 or 403; and
 * `kubectl auth can-i` shows the identity denied what pgop never does — in
 * the namespaced mode, any Secret outside the watched namespaces.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { Database } from "../lib/database/types.ts";
import { type LocalCluster, withCluster } from "./support/cluster.ts";
import { withAddresses } from "./support/deployment_args.ts";
import { insecureGet } from "./support/insecure_https.ts";
import { PgopChild } from "./support/pgop_child.ts";
import {
  applyDatabases,
  databaseManifest,
  type InProcessPgop,
  installCrd,
  startPgop,
} from "./support/pgop.ts";
import {
  buildMode,
  createServiceAccount,
  installDeploy,
  type InstallMode,
  SERVICE_ACCOUNT_USER,
  serviceAccountKubeconfig,
  WATCHED_NAMESPACES,
} from "./support/service_account.ts";
import { waitUntil } from "./support/wait.ts";

/** `kubectl auth can-i … --as=<pgop's ServiceAccount>`: true for "yes", false for "no". */
async function canI(cluster: LocalCluster, args: readonly string[]): Promise<boolean> {
  const out = await new Deno.Command(cluster.binaries.kubectl, {
    args: [
      "--kubeconfig",
      cluster.kubeconfigPath,
      "auth",
      "can-i",
      ...args,
      `--as=${SERVICE_ACCOUNT_USER}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const answer = new TextDecoder().decode(out.stdout).trim();
  if (answer !== "yes" && answer !== "no") {
    throw new Error(
      `kubectl auth can-i ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return answer === "yes";
}

/** The rows of `kubectl auth can-i --list`: resource and verbs. */
async function rules(
  cluster: LocalCluster,
  namespace: string,
): Promise<{ resource: string; verbs: string[] }[]> {
  const out = await cluster.kubectl([
    "auth",
    "can-i",
    "--list",
    "-n",
    namespace,
    `--as=${SERVICE_ACCOUNT_USER}`,
    "--no-headers",
  ]);
  return out.trim().split("\n").map((line) => {
    // Columns: Resources, Non-Resource URLs, Resource Names, Verbs ("[get list]").
    const verbs = /\[([^\]]*)\]\s*$/.exec(line)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
    return { resource: line.trim().split(/\s+/)[0], verbs };
  });
}

async function getJson(cluster: LocalCluster, args: string[]) {
  return JSON.parse(await cluster.kubectl([...args, "-o", "json"]));
}

/** What pgop does in a namespace it watches (`-n` is added). */
const DOES = [
  ["list", "databases.database.example.com"],
  ["watch", "databases.database.example.com"],
  ["get", "databases.database.example.com"],
  ["patch", "databases.database.example.com", "--subresource=status"],
  ["create", "statefulsets.apps"],
  ["patch", "statefulsets.apps"],
  ["watch", "services"],
  ["get", "secrets"],
  ["list", "secrets"],
  ["create", "secrets"],
  ["patch", "secrets"],
  ["list", "pods"],
  ["patch", "pods"],
  ["delete", "statefulsets.apps"],
  ["patch", "databases.database.example.com"],
  ["create", "events"],
  ["patch", "persistentvolumeclaims"],
];

/** What pgop never does, in any namespace (`-n` is added). */
const NEVER = [
  ["delete", "secrets"],
  ["update", "secrets"],
  ["delete", "databases.database.example.com"],
  ["deletecollection", "services"],
  ["update", "databases.database.example.com"],
  ["create", "databases.database.example.com"],
  ["update", "databases.database.example.com", "--subresource=status"],
  ["create", "pods"],
  ["get", "persistentvolumeclaims"],
  ["delete", "persistentvolumeclaims"],
  ["get", "configmaps"],
  ["patch", "events"],
  ["create", "events.events.k8s.io"],
];

/** Cluster-wide requests pgop never makes. */
const NEVER_CLUSTER = [
  ["list", "nodes"],
  ["watch", "nodes"],
  ["patch", "nodes"],
  ["list", "leases.coordination.k8s.io", "-A"],
  ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
  ["create", "serviceaccounts/token", "-n", "pgop-system"],
  ["impersonate", "users"],
  ["create", "customresourcedefinitions.apiextensions.k8s.io"],
  ["get", "leases.coordination.k8s.io", "-n", "default"],
  ["get", "leases.coordination.k8s.io/other-lease", "-n", "pgop-system"],
  ["update", "leases.coordination.k8s.io/other-lease", "-n", "pgop-system"],
  ["create", "leases.coordination.k8s.io", "-n", "kube-system"],
  ["delete", "leases.coordination.k8s.io/pgop-leader", "-n", "pgop-system"],
  ["list", "leases.coordination.k8s.io", "-n", "pgop-system"],
];

/** Resources `can-i --list` may show for pgop. */
const ALLOWED_RESOURCES = new Set([
  "databases.database.example.com",
  "databases.database.example.com/status",
  "statefulsets.apps",
  "services",
  "secrets",
  "pods",
  "events",
  "persistentvolumeclaims",
  "leases.coordination.k8s.io",
  // Fail-over reads a lost primary's node by name (deploy/base/node_reader.yaml): get only.
  "nodes",
  "tokenreviews.authentication.k8s.io",
  "subjectaccessreviews.authorization.k8s.io",
  // Granted to every authenticated user by the default roles.
  "selfsubjectreviews.authentication.k8s.io",
  "selfsubjectaccessreviews.authorization.k8s.io",
  "selfsubjectrulesreviews.authorization.k8s.io",
]);

/** The Deployment's args in `mode`, with the addresses a test can use. */
async function podArgs(cluster: LocalCluster, mode: InstallMode): Promise<string[]> {
  const deployment = (await buildMode(cluster, mode)).find((o) => o.kind === "Deployment") as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  return withAddresses(deployment.spec.template.spec.containers[0].args, {
    metrics: "127.0.0.1:0",
    health: "127.0.0.1:0",
  });
}

/** The full cycle as pgop's ServiceAccount, then the can-i checks. */
async function runMode(t: Deno.TestContext, mode: InstallMode): Promise<void> {
  await withCluster({}, async (cluster) => {
    await installCrd(cluster);
    await installDeploy(cluster, mode);
    const watched: readonly string[] = mode === "namespaced"
      ? WATCHED_NAMESPACES
      : ["default", "team-a"];
    if (mode === "cluster-wide") await cluster.kubectl(["create", "namespace", "team-a"]);
    const databases = watched.flatMap((namespace, i) =>
      [1, 2].map((n) => ({ name: `rbac-db-${i}-${n}`, namespace }))
    );
    const token = await createServiceAccount(cluster, "prometheus", {
      namespace: "pgop-system",
      clusterRole: "pgop-metrics-reader",
    });
    const args = await podArgs(cluster, mode);
    const kubeconfig = await serviceAccountKubeconfig(cluster);
    assert.equal(args.includes("--namespaces=team-a,team-b"), mode === "namespaced", `${args}`);
    const pgop: InProcessPgop = await startPgop(cluster, [
      ...args,
      // A pod's POD_NAMESPACE; short times keep the test quick.
      "--leader-election-namespace=pgop-system",
      "--lease-duration=6s",
      "--renew-deadline=4s",
      "--retry-period=1s",
    ], { kubeconfig });
    const denied = () =>
      pgop.requests.filter((r) => r.code === 401 || r.code === 403).map((r) =>
        `${r.verb} ${r.resource} ${r.code}`
      );
    let stopped = false;
    try {
      await t.step("pgop takes the Lease in pgop-system", async () => {
        await waitUntil("leading", async () => {
          const text = await pgop.metrics.text();
          return /leader_election_master_status\{name="pgop-leader"\} 1/.test(text);
        });
        const lease = await getJson(cluster, ["get", "lease", "pgop-leader", "-n", "pgop-system"]);
        assert.ok(lease.spec.holderIdentity, "the Lease has a holder");
      });

      await t.step("Databases in two namespaces become Ready", async () => {
        await applyDatabases(
          cluster,
          databases.map((d) => databaseManifest(d.name, { namespace: d.namespace })),
        );
        await waitUntil("every Database Ready", async () => {
          const list = await getJson(cluster, ["get", "databases", "-A"]);
          return (list.items as Database[]).filter((db) => db.status?.phase === "Ready")
            .length === databases.length;
        }, { timeoutMs: 90_000 });
      });

      await t.step("a larger storage size is applied to the claim (patch on a PVC)", async () => {
        const { name, namespace } = databases[0];
        const from = pgop.requests.length;
        await cluster.kubectl([
          "patch",
          "database",
          name,
          "-n",
          namespace,
          "--type=merge",
          "-p",
          JSON.stringify({ spec: { storage: { size: "20Gi" } } }),
        ]);
        await waitUntil(
          "a patch of the claim",
          () =>
            pgop.requests.slice(from).some((r) =>
              r.verb === "patch" && r.resource === "persistentvolumeclaims"
            ),
        );
        // The claim is unbound (no provisioner here), so the API server refuses
        // the resize itself (422), which it checks only after RBAC allowed it;
        // pgop turns that into a Warning Event (a create, also allowed).
        const patch = pgop.requests.slice(from).find((r) =>
          r.resource === "persistentvolumeclaims"
        );
        assert.ok(patch?.code === 200 || patch?.code === 422, `PVC patch: ${patch?.code}`);
        await waitUntil(
          "a Warning Event",
          () => pgop.requests.slice(from).some((r) => r.resource === "events" && r.code === 201),
        );
      });

      await t.step("the secure endpoint serves the metrics-reader's scrape", async () => {
        const port = pgop.operator.server?.port;
        const res = await insecureGet(`https://127.0.0.1:${port}/metrics`, {
          Authorization: `Bearer ${token}`,
        });
        assert.equal(res.status, 200, res.body);
        assert.match(res.body, /database_reconcile_total/);
      });

      await t.step("the Databases are deleted and pgop's cache follows", async () => {
        for (const { name, namespace } of databases) {
          await cluster.kubectl(["delete", "database", name, "-n", namespace, "--wait=true"]);
        }
        await waitUntil(
          "no Database in pgop's cache",
          () => pgop.operator.databases.store.size === 0,
        );
      });

      await t.step("a graceful stop releases the Lease", async () => {
        await pgop.stop();
        stopped = true;
        const lease = await getJson(cluster, ["get", "lease", "pgop-leader", "-n", "pgop-system"]);
        assert.ok(!lease.spec.holderIdentity, `released: ${JSON.stringify(lease.spec)}`);
      });

      await t.step("not one request was refused (401 or 403)", () => {
        assert.ok(pgop.requests.some((r) => r.resource.startsWith("tokenreviews")));
        assert.ok(pgop.requests.some((r) => r.resource.startsWith("subjectaccessreviews")));
        assert.deepEqual(denied(), []);
      });
    } finally {
      if (!stopped) await pgop.stop();
    }

    await t.step("main.ts starts as the ServiceAccount too (its preflight included)", async () => {
      await using child = PgopChild.start([
        `--kubeconfig=${kubeconfig}`,
        ...args,
        "--leader-election-namespace=pgop-system",
      ]);
      await child.waitForLine(/Caches synced/);
      await child.waitForLine(/Became leader|Leader is/);
      child.kill("SIGTERM");
      const exit = await child.exited(15_000);
      assert.equal(exit.code, 0, child.stderr);
      // Timestamps and versions hold digits like 403: look at the records, not the text.
      const records = child.stderrLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(records.filter((r) => r.level === "error"), []);
      assert.deepEqual(
        records.filter((r) => /Forbidden|Unauthorized|\(40[13]\b/.test(JSON.stringify(r))),
        [],
      );
    });

    await t.step("the role allows what pgop does where it watches", async () => {
      for (const namespace of watched) {
        for (const args of DOES) {
          assert.equal(
            await canI(cluster, [...args, "-n", namespace]),
            true,
            `${args} ${namespace}`,
          );
        }
      }
      for (
        const args of [
          ["get", "leases.coordination.k8s.io/pgop-leader", "-n", "pgop-system"],
          ["update", "leases.coordination.k8s.io/pgop-leader", "-n", "pgop-system"],
          ["create", "leases.coordination.k8s.io", "-n", "pgop-system"],
          ["create", "tokenreviews.authentication.k8s.io"],
          ["create", "subjectaccessreviews.authorization.k8s.io"],
        ]
      ) {
        assert.equal(await canI(cluster, args), true, `can ${args.join(" ")}`);
      }
    });

    await t.step("and denies what it never does", async () => {
      for (const namespace of [...watched, "kube-system"]) {
        for (const args of NEVER) {
          assert.equal(
            await canI(cluster, [...args, "-n", namespace]),
            false,
            `${args} ${namespace}`,
          );
        }
      }
      for (const args of NEVER_CLUSTER) {
        assert.equal(await canI(cluster, args), false, `cannot ${args.join(" ")}`);
      }
    });

    if (mode === "namespaced") {
      await t.step(
        "no Secret outside the watched namespaces, and nothing cluster-wide",
        async () => {
          for (const namespace of ["default", "kube-system", "pgop-system"]) {
            for (const verb of ["get", "list", "watch", "create", "patch"]) {
              assert.equal(
                await canI(cluster, [verb, "secrets", "-n", namespace]),
                false,
                `${verb} secrets -n ${namespace}`,
              );
            }
            assert.equal(
              await canI(cluster, ["list", "databases.database.example.com", "-n", namespace]),
              false,
            );
          }
          for (
            const resource of [
              "secrets",
              "databases.database.example.com",
              "statefulsets.apps",
              "pods",
            ]
          ) {
            assert.equal(
              await canI(cluster, ["list", resource, "-A"]),
              false,
              `list ${resource} -A`,
            );
          }
        },
      );
    }

    await t.step("can-i --list shows only pgop's resources and no delete or wildcard", async () => {
      for (const namespace of [...watched, "pgop-system", "kube-system"]) {
        const rows = await rules(cluster, namespace);
        const resources = rows.map((r) => r.resource).filter((r) => !r.startsWith("["));
        assert.equal(
          resources.includes("statefulsets.apps"),
          watched.includes(namespace) || mode === "cluster-wide",
          `${namespace}: ${JSON.stringify(rows)}`,
        );
        for (const resource of resources) {
          assert.ok(
            ALLOWED_RESOURCES.has(resource),
            `unexpected rule on ${resource} in ${namespace}`,
          );
        }
        for (const row of rows) {
          if (row.resource === "nodes") {
            assert.deepEqual(row.verbs, ["get"], `${namespace}: nodes ${row.verbs}`);
          }
          for (const verb of ["delete", "deletecollection", "*", "escalate", "bind", "update"]) {
            if (verb === "update" && row.resource === "leases.coordination.k8s.io") continue;
            // The one delete: a StatefulSet made before replication is made again.
            if (verb === "delete" && row.resource === "statefulsets.apps") continue;
            assert.ok(!row.verbs.includes(verb), `${verb} on ${row.resource} in ${namespace}`);
          }
        }
        const leases = resources.includes("leases.coordination.k8s.io");
        assert.equal(leases, namespace === "pgop-system", `leases only in pgop-system`);
      }
    });
  });
}

Deno.test("deploy/cluster-wide: pgop runs as its ServiceAccount with no 403, and may do no more", async (t) => {
  await runMode(t, "cluster-wide");
});

Deno.test("deploy/namespaced: pgop runs with Roles in its namespaces only, no Secret elsewhere", async (t) => {
  await runMode(t, "namespaced");
});

Deno.test("the namespaced Role and the cluster-wide ClusterRole grant the same rules", async () => {
  const rulesOf = async (path: string, kind: string) => {
    const text = await Deno.readTextFile(new URL(`../deploy/${path}`, import.meta.url));
    const docs = parseAllDocuments(text).map((d) => d.toJSON());
    return docs.find((d) => d?.kind === kind)?.rules;
  };
  const role = await rulesOf("namespaced/watched/role.yaml", "Role");
  assert.ok(Array.isArray(role) && role.length > 0);
  assert.deepEqual(await rulesOf("cluster-wide/cluster_role.yaml", "ClusterRole"), role);
});
