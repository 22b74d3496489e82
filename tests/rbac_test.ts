/**
 * deploy/rbac.yaml is enough and not more: pgop, authenticated as its
 * ServiceAccount with a real token (what a pod gets), runs with leader
 * election and drives Databases in two namespaces to Ready without a single
 * 401 or 403; and the same identity is denied what pgop never does.
 */
import assert from "node:assert/strict";
import type { Database } from "../lib/database/types.ts";
import { type LocalCluster, withCluster } from "./support/cluster.ts";
import { applyDatabases, databaseManifest, installCrd, startPgop } from "./support/pgop.ts";
import { installRbac, serviceAccountKubeconfig } from "./support/service_account.ts";
import { waitUntil } from "./support/wait.ts";

const SA = "system:serviceaccount:pgop-system:pgop";
const DATABASES = [
  { name: "rbac-db-1", namespace: "default" },
  { name: "rbac-db-2", namespace: "default" },
  { name: "rbac-db-3", namespace: "team-a" },
];

/** `kubectl auth can-i … --as=<pgop's ServiceAccount>`: true for "yes", false for "no". */
async function canI(cluster: LocalCluster, args: readonly string[]): Promise<boolean> {
  const out = await new Deno.Command(cluster.binaries.kubectl, {
    args: ["--kubeconfig", cluster.kubeconfigPath, "auth", "can-i", ...args, `--as=${SA}`],
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
    `--as=${SA}`,
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

Deno.test("deploy/rbac.yaml: pgop runs as its ServiceAccount with no 403, and may do no more", async (t) => {
  await withCluster({}, async (cluster) => {
    await installCrd(cluster);
    await installRbac(cluster);
    await cluster.kubectl(["create", "namespace", "team-a"]);
    const kubeconfig = await serviceAccountKubeconfig(cluster);
    const pgop = await startPgop(cluster, [
      "--leader-elect",
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
          DATABASES.map((d) => databaseManifest(d.name, { namespace: d.namespace })),
        );
        await waitUntil("every Database Ready", async () => {
          const list = await getJson(cluster, ["get", "databases", "-A"]);
          return (list.items as Database[]).filter((db) => db.status?.phase === "Ready")
            .length === DATABASES.length;
        }, { timeoutMs: 90_000 });
      });

      await t.step("a larger storage size is applied to the claim (patch on a PVC)", async () => {
        const { name, namespace } = DATABASES[0];
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

      await t.step("a graceful stop releases the Lease", async () => {
        await pgop.stop();
        stopped = true;
        const lease = await getJson(cluster, ["get", "lease", "pgop-leader", "-n", "pgop-system"]);
        assert.ok(!lease.spec.holderIdentity, `released: ${JSON.stringify(lease.spec)}`);
      });

      await t.step("not one request was refused (401 or 403)", () => {
        assert.ok(pgop.requests.length > 0);
        assert.deepEqual(denied(), []);
      });
    } finally {
      if (!stopped) await pgop.stop();
    }

    await t.step("the role allows what pgop does", async () => {
      for (
        const args of [
          ["list", "databases.database.example.com", "-A"],
          ["watch", "databases.database.example.com", "-A"],
          ["patch", "databases.database.example.com", "--subresource=status", "-n", "team-a"],
          ["create", "statefulsets.apps", "-n", "team-a"],
          ["patch", "statefulsets.apps", "-n", "team-a"],
          ["watch", "services", "-A"],
          ["patch", "secrets", "-n", "default"],
          ["create", "events", "-n", "team-a"],
          ["patch", "persistentvolumeclaims", "-n", "team-a"],
          ["watch", "pods", "-n", "team-a"],
          ["list", "pods", "-A"],
          ["get", "leases.coordination.k8s.io", "-n", "pgop-system"],
          ["create", "leases.coordination.k8s.io", "-n", "pgop-system"],
          ["update", "leases.coordination.k8s.io", "-n", "pgop-system"],
        ]
      ) {
        assert.equal(await canI(cluster, args), true, `can ${args.join(" ")}`);
      }
    });

    await t.step("and denies representative things it does not do", async () => {
      for (
        const args of [
          ["delete", "statefulsets.apps", "-n", "default"],
          ["delete", "secrets", "-n", "default"],
          ["delete", "databases.database.example.com", "-n", "default"],
          ["deletecollection", "services", "-n", "default"],
          ["update", "databases.database.example.com", "-n", "default"],
          ["patch", "databases.database.example.com", "-n", "default"],
          ["create", "databases.database.example.com", "-n", "default"],
          ["update", "secrets", "-n", "default"],
          ["create", "pods", "-n", "default"],
          ["delete", "pods", "-n", "default"],
          ["patch", "pods", "-n", "default"],
          ["get", "persistentvolumeclaims", "-n", "default"],
          ["delete", "persistentvolumeclaims", "-n", "default"],
          ["get", "configmaps", "-n", "default"],
          ["list", "nodes"],
          ["get", "leases.coordination.k8s.io", "-n", "default"],
          ["create", "leases.coordination.k8s.io", "-n", "kube-system"],
          ["list", "leases.coordination.k8s.io", "-A"],
          ["delete", "leases.coordination.k8s.io", "-n", "pgop-system"],
          ["list", "leases.coordination.k8s.io", "-n", "pgop-system"],
          ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
          ["create", "serviceaccounts/token", "-n", "pgop-system"],
          ["impersonate", "users"],
          ["create", "customresourcedefinitions.apiextensions.k8s.io"],
        ]
      ) {
        assert.equal(await canI(cluster, args), false, `cannot ${args.join(" ")}`);
      }
    });

    await t.step("can-i --list shows only pgop's resources and no delete or wildcard", async () => {
      const allowed = new Set([
        "databases.database.example.com",
        "databases.database.example.com/status",
        "statefulsets.apps",
        "services",
        "secrets",
        "events",
        "events.events.k8s.io",
        "persistentvolumeclaims",
        "pods",
        "leases.coordination.k8s.io",
        // Granted to every authenticated user by the default roles.
        "selfsubjectreviews.authentication.k8s.io",
        "selfsubjectaccessreviews.authorization.k8s.io",
        "selfsubjectrulesreviews.authorization.k8s.io",
      ]);
      for (const namespace of ["default", "pgop-system"]) {
        const rows = await rules(cluster, namespace);
        const resources = rows.map((r) => r.resource).filter((r) => !r.startsWith("["));
        assert.ok(resources.includes("statefulsets.apps"), JSON.stringify(rows));
        for (const resource of resources) {
          assert.ok(allowed.has(resource), `unexpected rule on ${resource} in ${namespace}`);
        }
        for (const row of rows) {
          for (const verb of ["delete", "deletecollection", "*", "escalate", "bind"]) {
            assert.ok(!row.verbs.includes(verb), `${verb} on ${row.resource} in ${namespace}`);
          }
        }
        const leases = resources.includes("leases.coordination.k8s.io");
        assert.equal(leases, namespace === "pgop-system", `leases only in pgop-system`);
      }
    });
  });
});
