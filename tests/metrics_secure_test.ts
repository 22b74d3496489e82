/**
 * `--metrics-secure` on the real API server: `/metrics` over HTTPS answers
 * only a bearer token that a TokenReview authenticates and a
 * SubjectAccessReview allows `get /metrics` (no token 401, a token without
 * the role 403, with deploy/'s pgop-metrics-reader 200); decisions are cached,
 * so repeated scrapes cost the API server nothing; the probes stay plain on
 * their own port. pgop runs as its own ServiceAccount (deploy/'s RBAC).
 */
import assert from "node:assert/strict";
import { POSITIVE_TTL_MS } from "../lib/metrics/auth_cache.ts";
import { withCluster } from "./support/cluster.ts";
import { installCrd, startPgop } from "./support/pgop.ts";
import {
  createServiceAccount,
  installRbac,
  serviceAccountKubeconfig,
  serviceAccountToken,
} from "./support/service_account.ts";
import { waitUntil } from "./support/wait.ts";

const REVIEWS = ["tokenreviews.authentication.k8s.io", "subjectaccessreviews.authorization.k8s.io"];

Deno.test("secure metrics: 401 without a token, 403 without the role, 200 with it, reviews cached", async (t) => {
  await withCluster({}, async (cluster) => {
    await installCrd(cluster);
    await installRbac(cluster);
    await createServiceAccount(cluster, "reader", { clusterRole: "pgop-metrics-reader" });
    await createServiceAccount(cluster, "stranger");
    const pgop = await startPgop(cluster, [
      "--metrics-secure",
      "--health-probe-address=127.0.0.1:0",
    ], { kubeconfig: await serviceAccountKubeconfig(cluster) });
    const client = Deno.createHttpClient({ caCerts: pgop.tls ? [pgop.tls.cert] : [] });
    try {
      const port = pgop.operator.server?.port;
      const healthPort = pgop.operator.healthServer?.port;
      assert.ok(port && healthPort);
      const get = async (path: string, token?: string) => {
        const res = await fetch(`https://127.0.0.1:${port}${path}`, {
          client,
          headers: token ? { Authorization: `Bearer ${token}` } : {},
        });
        return { status: res.status, body: await res.text(), headers: res.headers };
      };
      const reviews = (from: number) =>
        pgop.requests.slice(from).filter((r) => REVIEWS.includes(r.resource));

      await t.step("no token: 401 with a Bearer challenge, and no API request", async () => {
        const from = pgop.requests.length;
        const res = await get("/metrics");
        assert.equal(res.status, 401);
        assert.match(res.headers.get("WWW-Authenticate") ?? "", /^Bearer/);
        assert.doesNotMatch(res.body, /database_reconcile/);
        assert.equal((await get("/metrics", "")).status, 401);
        assert.deepEqual(reviews(from), []);
      });

      await t.step("a token the API server does not know: 401", async () => {
        const res = await get("/metrics", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
        assert.equal(res.status, 401);
      });

      await t.step("a valid token without pgop-metrics-reader: 403", async () => {
        const res = await get(
          "/metrics",
          await serviceAccountToken(cluster, "stranger", "default"),
        );
        assert.equal(res.status, 403);
        assert.doesNotMatch(res.body, /database_reconcile/);
      });

      await t.step("a token with pgop-metrics-reader: 200 and the exposition", async () => {
        const res = await get("/metrics", await serviceAccountToken(cluster, "reader", "default"));
        assert.equal(res.status, 200);
        assert.match(res.body, /database_reconcile_total/);
      });

      await t.step(
        "10 scrapes of one token cost 2 review requests (TokenReview + SAR)",
        async () => {
          for (const [who, expected] of [["reader", 200], ["stranger", 403]] as const) {
            const token = await serviceAccountToken(cluster, who, "default");
            const from = pgop.requests.length;
            const started = performance.now();
            for (let i = 0; i < 10; i++) {
              assert.equal((await get("/metrics", token)).status, expected);
            }
            const elapsed = performance.now() - started;
            const made = reviews(from);
            console.log(
              `${who}: 10 scrapes in ${elapsed.toFixed(0)} ms -> ${made.length} review requests`,
            );
            // A refusal is kept for 10 s, an allowance for 2 min: only a very slow
            // machine could see an entry expire within the 10 scrapes.
            if (expected === 200 || elapsed < 10_000) {
              assert.equal(made.length, 2 * (1 + Math.floor(elapsed / POSITIVE_TTL_MS)));
            }
            assert.deepEqual(
              made.map((r) => r.code),
              made.map(() => 201),
            );
          }
        },
      );

      await t.step("only /metrics on the secure port; plain HTTP is refused", async () => {
        const token = await serviceAccountToken(cluster, "reader", "default");
        assert.equal((await get("/healthz", token)).status, 404);
        assert.equal((await get("/readyz", token)).status, 404);
        await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()));
      });

      await t.step("the probes stay plain and open on their own port", async () => {
        const health = (path: string) => fetch(`http://127.0.0.1:${healthPort}${path}`);
        const live = await health("/healthz");
        assert.deepEqual([live.status, await live.text()], [200, "ok\n"]);
        await waitUntil("/readyz 200", async () => {
          const res = await health("/readyz");
          await res.body?.cancel();
          return res.status === 200;
        });
        const metrics = await health("/metrics");
        await metrics.body?.cancel();
        assert.equal(metrics.status, 404);
      });
    } finally {
      client.close();
      await pgop.stop();
    }
  });
});
