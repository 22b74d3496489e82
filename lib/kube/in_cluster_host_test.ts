import assert from "node:assert/strict";
import { IN_CLUSTER_HOST, inClusterHost } from "./in_cluster_host.ts";

Deno.test("inClusterHost(): the service IP unless only the service's name is allowed", () => {
  const only = (allowed: string[]) => (hostPort: string) => allowed.includes(hostPort);
  assert.equal(inClusterHost("10.96.0.1", "443", () => true), "10.96.0.1");
  assert.equal(
    inClusterHost("10.96.0.1", "443", only([`${IN_CLUSTER_HOST}:443`])),
    IN_CLUSTER_HOST,
  );
  assert.equal(inClusterHost("fd00::1", "443", only(["[fd00::1]:443"])), "[fd00::1]");
  // Neither allowed: the IP, so that the error names what client-go would use.
  assert.equal(inClusterHost("10.96.0.1", "443", only([])), "10.96.0.1");
});
