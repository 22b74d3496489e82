/**
 * No Secret data in pgop's errors. An admission policy on the real API server
 * refuses pgop's Secrets with a message that quotes the password (a
 * ValidatingAdmissionPolicy whose messageExpression is the object's
 * `data.password`, base64 as the Secret holds it: any webhook or policy can
 * echo what it was sent). pgop
 * runs as a process; the refusal goes through every path an API error takes
 * — its log, the Database's status conditions, Events — and the password is
 * in none of them, while the refusal itself is reported.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { withCluster } from "./support/cluster.ts";
import { PgopChild } from "./support/pgop_child.ts";
import { applyDatabases, databaseManifest, installCrd } from "./support/pgop.ts";
import { waitUntil } from "./support/wait.ts";

/** What the policy wraps the password in, so that an echo is found without knowing it. */
const OPEN = "PASSWORD<<";

const POLICY = [
  {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: "echo-secret-data" },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [{
          apiGroups: [""],
          apiVersions: ["v1"],
          operations: ["CREATE", "UPDATE"],
          resources: ["secrets"],
        }],
      },
      validations: [{
        expression: "!has(object.data) || !('password' in object.data)",
        messageExpression:
          `'refused, the password is ${OPEN}' + string(object.data.password) + '>>'`,
      }],
    },
  },
  {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: "echo-secret-data" },
    spec: { policyName: "echo-secret-data", validationActions: ["Deny"] },
  },
];

Deno.test("an API error that echoes a Secret's password reaches no log, status or Event", async (t) => {
  await withCluster({}, async (cluster) => {
    await installCrd(cluster);
    await cluster.kubectl(["apply", "-f", "-"], {
      input: POLICY.map((o) => stringify(o)).join("---\n"),
    });

    await t.step("the real API server does echo the password", async () => {
      await waitUntil("the policy is in force", async () => {
        const out = await new Deno.Command(cluster.binaries.kubectl, {
          args: [
            "--kubeconfig",
            cluster.kubeconfigPath,
            "create",
            "secret",
            "generic",
            "probe",
            "--from-literal=password=known-hunter2",
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        if (out.success) await cluster.kubectl(["delete", "secret", "probe"]);
        // Unstructured, a Secret's data is base64: that is what the policy quotes.
        return !out.success && stderr.includes(`${OPEN}${btoa("known-hunter2")}>>`);
      });
    });

    const name = "redact-db-1";
    await using pgop = PgopChild.start([
      "--kubeconfig",
      cluster.kubeconfigPath,
      "--log-format=json",
      "--log-level=debug",
      "--metrics-address=127.0.0.1:0",
    ]);
    await pgop.waitForLine(/Caches synced/);
    await applyDatabases(cluster, [databaseManifest(name)]);

    const status = async () =>
      JSON.parse(await cluster.kubectl(["get", "database", name, "-o", "json"])).status;
    await t.step("the refusal is reported in status and in the log", async () => {
      await waitUntil("a ReconcileError condition", async () => {
        const conditions: { reason?: string }[] = (await status())?.conditions ?? [];
        return conditions.some((c) => c.reason === "ReconcileError");
      }, { timeoutMs: 60_000 });
      await pgop.waitForLine(/Reconcile failed/);
      // Retries with backoff bring more of the same: wait for a second one.
      await waitUntil(
        "a retried reconcile",
        () => pgop.stderrLines.filter((l) => l.includes("Reconcile failed")).length >= 2,
        {
          timeoutMs: 30_000,
        },
      );
      const conditions: { message?: string }[] = (await status()).conditions;
      assert.ok(
        conditions.some((c) => /was refused \(\w+\).*withheld/.test(c.message ?? "")),
        JSON.stringify(conditions),
      );
    });

    await t.step("no path carries the password", async () => {
      pgop.kill("SIGTERM");
      await pgop.exited(15_000);
      const events = await cluster.kubectl(["get", "events", "-A", "-o", "json"]);
      const database = await cluster.kubectl(["get", "database", name, "-o", "json"]);
      for (
        const [where, text] of [
          ["pgop's log", pgop.stderr + pgop.stdout],
          ["the Database", database],
          ["Events", events],
        ]
      ) {
        assert.ok(!text.includes(OPEN), `${where} holds the echoed password`);
        assert.ok(!text.includes("denied request"), `${where} holds the policy's own message`);
      }
      assert.match(pgop.stderr, /withheld because the request carried credentials/);
    });
  });
});
