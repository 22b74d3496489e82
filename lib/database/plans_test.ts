import assert from "node:assert/strict";
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { Resources } from "../kube/resource.ts";
import { childPlans } from "./plans.ts";
import { newProjections } from "./projection.ts";

const projectStatefulSet = newProjections().statefulSet;
import { desiredSecret, PASSWORD_MASK, readPassword } from "./secret.ts";
import { existingClaimStorage } from "./statefulset.ts";
import type { Database } from "./types.ts";
import { sampleDatabase } from "../../tests/support/database_fixture.ts";

const db = sampleDatabase({ storage: { size: "10Gi" } });

Deno.test("childPlans() makes both Secrets, four Services and the StatefulSet, in that order", () => {
  const plans = childPlans(db, { newPassword: () => "pw" });
  assert.deepEqual(plans.map((p) => [p.resource.plural, p.template.metadata?.name]), [
    ["secrets", "db-app"],
    ["secrets", "db-replication"],
    ["services", "db-headless"],
    ["services", "db"],
    ["services", "db-rw"],
    ["services", "db-ro"],
    ["statefulsets", "db"],
  ]);
  assert.deepEqual(plans.map((p) => p.readsLive), [true, true, false, false, false, false, false]);
  const sts = plans[6].template as StatefulSet;
  assert.equal(sts.spec?.podManagementPolicy, "Parallel");
  assert.equal(sts.spec?.template.spec?.containers[0].command?.at(-1), "run");
});

Deno.test("childPlans() keeps the StatefulSet large enough for the primary", () => {
  const three = { ...db, spec: { ...db.spec, replicas: 1 } } as Database;
  const sts = (primary?: string) =>
    childPlans(three, { newPassword: () => "pw", primary })[6].template as StatefulSet;
  assert.equal(sts().spec?.replicas, 1);
  assert.equal(sts("db-2").spec?.replicas, 3);
  assert.equal(sts("db-0").spec?.replicas, 1);
});

Deno.test("childPlans() asks for a password only when no Secret exists, and hashes a mask", () => {
  let asked = 0;
  const [secret] = childPlans(db, { newPassword: () => (asked++, "new") });
  assert.equal(readPassword(secret.template as Secret), PASSWORD_MASK);
  assert.equal(asked, 0);
  assert.equal(readPassword(secret.build(desiredSecret(db, "kept")) as Secret), "kept");
  assert.equal(asked, 0);
  assert.equal(readPassword(secret.build(undefined) as Secret), "new");
  assert.equal(asked, 1);
});

Deno.test("childPlans() keeps the cached StatefulSet's claim size (immutable once created)", () => {
  const first = childPlans(db, { newPassword: () => "pw" })[6];
  const cached = projectStatefulSet(first.build(undefined) as StatefulSet);
  const grown = { ...db, spec: { ...db.spec, storage: { size: "20Gi" } } } as Database;
  const again = childPlans(grown, { newPassword: () => "pw", statefulSet: cached })[6];
  assert.equal(again.resource, Resources.statefulSets);
  assert.equal(existingClaimStorage(again.template as StatefulSet), "10Gi");
  assert.equal(existingClaimStorage(again.build(cached) as StatefulSet), "10Gi");
});
