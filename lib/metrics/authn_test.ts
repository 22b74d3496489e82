import assert from "node:assert/strict";
import type { Resource } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { KubeMetricsAuthorizer } from "./authn.ts";

/** A client that answers TokenReviews and SubjectAccessReviews from two tables. */
function reviewer(users: Record<string, string>, readers: string[]) {
  const calls: { kind: string; spec: Record<string, unknown> }[] = [];
  const create = (_resource: Resource, object: KubeObject & { spec?: Record<string, unknown> }) => {
    const spec = object.spec ?? {};
    calls.push({ kind: String(object.kind), spec });
    if (object.kind === "TokenReview") {
      const user = users[String(spec.token)];
      return Promise.resolve({
        ...object,
        status: user
          ? { authenticated: true, user: { username: user, groups: ["g"] } }
          : { authenticated: false },
      });
    }
    return Promise.resolve({ ...object, status: { allowed: readers.includes(String(spec.user)) } });
  };
  return { client: { create } as unknown as KubeClient, calls };
}

const scrape = (token?: string) =>
  new Request("https://pgop/metrics", {
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });

Deno.test("KubeMetricsAuthorizer: 401 without or with an unknown token, 403 without the right, 200 with it", async () => {
  const { client, calls } = reviewer({ "t-reader": "prometheus", "t-other": "someone" }, [
    "prometheus",
  ]);
  const authorizer = new KubeMetricsAuthorizer(client);
  assert.equal((await authorizer.check(scrape())).status, 401);
  assert.equal((await authorizer.check(scrape(""))).status, 401);
  assert.equal(calls.length, 0, "no review without a token");
  assert.equal((await authorizer.check(scrape("t-unknown"))).status, 401);
  assert.equal((await authorizer.check(scrape("t-other"))).status, 403);
  assert.equal((await authorizer.check(scrape("t-reader"))).status, 200);
  const sar = calls.find((c) => c.kind === "SubjectAccessReview" && c.spec.user === "prometheus");
  assert.deepEqual(sar?.spec.nonResourceAttributes, { path: "/metrics", verb: "get" });
  assert.deepEqual(sar?.spec.groups, ["g"]);
});

Deno.test("KubeMetricsAuthorizer: repeated scrapes of one token cost one pair of reviews", async () => {
  const { client, calls } = reviewer({ t: "prometheus" }, ["prometheus"]);
  const authorizer = new KubeMetricsAuthorizer(client);
  for (let i = 0; i < 10; i++) assert.equal((await authorizer.check(scrape("t"))).status, 200);
  assert.deepEqual(calls.map((c) => c.kind), ["TokenReview", "SubjectAccessReview"]);
});
