import assert from "node:assert/strict";
import { apiserverWrites, compareWrites } from "./apiserver.ts";

const TEXT = `# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 100
apiserver_request_total{code="409",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 1
apiserver_request_total{code="200",component="apiserver",dry_run="",group="database.example.com",resource="databases",scope="resource",subresource="status",verb="APPLY",version="v1"} 200
apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="statefulsets",scope="resource",subresource="status",verb="PUT",version="v1"} 300
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 100
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="GET",version="v1"} 7
`;

Deno.test("apiserverWrites() keeps write verbs of the run's resources, keyed with subresource", () => {
  assert.deepEqual(apiserverWrites(TEXT), {
    "POST secrets": 101,
    "APPLY databases/status": 200,
    "PUT statefulsets/status": 300,
  });
});

Deno.test("compareWrites() lines up the system's, the tool's and the API server's counts", () => {
  const rows = compareWrites(
    { "create secrets": 100, "apply databases.database.example.com": 200, "list secrets": 1 },
    { "create databases.database.example.com": 100 },
    { ...apiserverWrites(TEXT), "POST databases": 100 },
  );
  assert.deepEqual(rows, [
    {
      key: "APPLY databases",
      sut: 200,
      tool: 0,
      apiserver: 200,
      other: 0,
      subresources: { status: 200 },
    },
    { key: "POST databases", sut: 0, tool: 100, apiserver: 100, other: 0 },
    { key: "POST secrets", sut: 100, tool: 0, apiserver: 101, other: 1 },
    {
      key: "PUT statefulsets",
      sut: 0,
      tool: 0,
      apiserver: 300,
      other: 300,
      subresources: { status: 300 },
    },
  ]);
});
