import assert from "node:assert/strict";
import { planRealNodes } from "./plan.ts";

Deno.test("planRealNodes() names every host-wide thing after the cluster directory", () => {
  const plan = planRealNodes("/tmp/pgop-cluster-AbC123", 2, {
    serviceCidr: "10.96.0.0/16",
    ports: [10250, 10248, 10251, 10249],
  });
  assert.equal(plan.id, "abc123");
  assert.equal(plan.guardChain, "PGOP-EGRESS-ABC123");
  assert.equal(plan.dnsIp, "10.200.0.1");
  assert.deepEqual(
    plan.nodes.map((n) => [n.name, n.bridge, n.podCidr, n.cgroupRoot, n.kubeletPort]),
    [
      ["127.0.0.1", "pgopabc123n0", "10.200.0.0/24", "/pgop-abc123-n0", 10250],
      ["127.0.0.2", "pgopabc123n1", "10.200.1.0/24", "/pgop-abc123-n1", 10251],
    ],
  );
  // Linux limits interface names to 15 characters.
  assert.ok(plan.nodes.every((n) => n.bridge.length <= 15));
});

Deno.test("planRealNodes() rejects a count it cannot address", () => {
  const options = { serviceCidr: "10.96.0.0/16", ports: Array(40).fill(1) };
  assert.throws(() => planRealNodes("/tmp/pgop-cluster-x", 0, options), RangeError);
  assert.throws(() => planRealNodes("/tmp/pgop-cluster-x", 9, options), RangeError);
});
