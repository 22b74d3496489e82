import assert from "node:assert/strict";
import { KubeConfig } from "@kubernetes/client-node";
import { ClientNodeReader } from "./client_node_transport.ts";
import { isNotFound, KubeconfigError } from "../../lib/kube/errors.ts";
import { FakeApiServer } from "../../tests/support/fake_api_server.ts";
import { Resources } from "../../lib/kube/resource.ts";

const discovery = {
  kind: "APIResourceList",
  apiVersion: "v1",
  groupVersion: "database.example.com/v1",
  resources: [{
    name: "databases",
    singularName: "database",
    namespaced: true,
    kind: "Database",
    verbs: ["get", "list"],
  }],
};

function kubeConfigFor(server: FakeApiServer): KubeConfig {
  const kc = new KubeConfig();
  // client-node refuses plain http unless TLS verification is "skipped".
  kc.loadFromClusterAndUser({ name: "c", server: server.url, skipTLSVerify: true }, {
    name: "u",
    token: "t0k",
  });
  return kc;
}

// client-node's undici dispatcher keeps sockets that it offers no way to close.
const leaky = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "ClientNodeReader.list() and get() go through client-node and map errors",
  ...leaky,
  async fn() {
    const server = new FakeApiServer();
    server.json(200, discovery);
    server.json(200, {
      apiVersion: "database.example.com/v1",
      kind: "DatabaseList",
      metadata: { resourceVersion: "5", continue: "more" },
      items: [{
        apiVersion: "database.example.com/v1",
        kind: "Database",
        metadata: { name: "a", namespace: "ns" },
      }],
    });
    server.json(404, {
      kind: "Status",
      status: "Failure",
      reason: "NotFound",
      code: 404,
      message: "gone",
    });
    const reader = new ClientNodeReader(kubeConfigFor(server));
    const page = await reader.list(Resources.databases, {
      namespace: "ns",
      labelSelector: "x=y",
      limit: 1,
    });
    assert.equal(page.resourceVersion, "5");
    // client-node deserializes a custom list's metadata as ObjectMeta, which drops `continue`.
    assert.equal(page.continue, undefined);
    assert.deepEqual(page.items.map((i) => i.metadata?.name), ["a"]);
    await assert.rejects(reader.get(Resources.databases, "b", { namespace: "ns" }), isNotFound);
    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
      "GET /apis/database.example.com/v1",
      "GET /apis/database.example.com/v1/namespaces/ns/databases?labelSelector=x%3Dy&limit=1",
      "GET /apis/database.example.com/v1/namespaces/ns/databases/b",
    ]);
    assert.equal(server.requests[1].headers.get("authorization"), "Bearer t0k");
    await server.close();
  },
});

Deno.test("ClientNodeReader rejects options client-node cannot express", async () => {
  assert.throws(() => new ClientNodeReader(new KubeConfig()), KubeconfigError);
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: "c", server: "https://127.0.0.1:1", skipTLSVerify: false }, {
    name: "u",
  });
  const reader = new ClientNodeReader(kc);
  await assert.rejects(reader.list(Resources.databases, { resourceVersion: "0" }), RangeError);
  await assert.rejects(
    reader.get(Resources.databases, "a", { namespace: "ns", subresource: "status" }),
    RangeError,
  );
  await assert.rejects(reader.get(Resources.databases, "", { namespace: "ns" }), RangeError);
});
