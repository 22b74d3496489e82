import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { ApiError, isGone, isNotFound, TransportError } from "./errors.ts";
import { FakeApiServer, type Reply } from "../../tests/support/fake_api_server.ts";
import { Resources } from "./resource.ts";
import { RestClient } from "./rest_client.ts";
import type { KubeObject, WatchEvent } from "./types.ts";

function setup() {
  const server = new FakeApiServer();
  const client = new RestClient(server.config(), { clock: new FakeClock(), random: () => 0 });
  const done = async () => {
    client.close();
    await server.close();
  };
  return { server, client, done };
}

/** A streamed response body the test writes to line by line. */
class Feed {
  readonly cancelled = Promise.withResolvers<void>();
  #controller: ReadableStreamDefaultController<string> | undefined;
  readonly reply: Reply = () => {
    const body = new ReadableStream<string>({
      start: (controller) => void (this.#controller = controller),
      cancel: () => this.cancelled.resolve(),
    });
    return new Response(body.pipeThrough(new TextEncoderStream()), {
      headers: { "Content-Type": "application/json" },
    });
  };
  send(text: string): void {
    this.#controller?.enqueue(text);
  }
  event(type: string, object: unknown): void {
    this.send(JSON.stringify({ type, object }) + "\n");
  }
  end(): void {
    this.#controller?.close();
  }
}

const db = (name: string, rv = "1") => ({
  metadata: { name, namespace: "ns", resourceVersion: rv },
});

Deno.test("RestClient.list() sends the query and fills in apiVersion and kind", async () => {
  const { server, client, done } = setup();
  server.json(200, {
    kind: "DatabaseList",
    metadata: { resourceVersion: "42", continue: "next", remainingItemCount: 3 },
    items: [db("a"), db("b")],
  });
  const page = await client.list(Resources.databases, {
    namespace: "ns",
    labelSelector: "app=pg",
    limit: 2,
  });
  assert.equal(
    server.requests[0].path,
    "/apis/database.example.com/v1/namespaces/ns/databases?labelSelector=app%3Dpg&limit=2",
  );
  assert.equal(page.resourceVersion, "42");
  assert.equal(page.continue, "next");
  assert.equal(page.remainingItemCount, 3);
  assert.deepEqual(page.items.map((i) => [i.apiVersion, i.kind, i.metadata?.name]), [
    ["database.example.com/v1", "Database", "a"],
    ["database.example.com/v1", "Database", "b"],
  ]);
  server.json(200, { metadata: { resourceVersion: "7", continue: "" }, items: null });
  const empty = await client.list(Resources.namespaces);
  assert.equal(server.requests[1].path, "/api/v1/namespaces");
  assert.deepEqual(empty, {
    items: [],
    resourceVersion: "7",
    continue: undefined,
    remainingItemCount: undefined,
  });
  await done();
});

Deno.test("RestClient.get() addresses the object and its subresource", async () => {
  const { server, client, done } = setup();
  server.json(200, db("a")).json(200, db("a"));
  const got = await client.get(Resources.databases, "a", { namespace: "ns" });
  assert.equal(got.metadata?.name, "a");
  await client.get(Resources.statefulSets, "a", { namespace: "ns", subresource: "scale" });
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
    "GET /apis/database.example.com/v1/namespaces/ns/databases/a",
    "GET /apis/apps/v1/namespaces/ns/statefulsets/a/scale",
  ]);
  await done();
});

Deno.test("RestClient rejects missing names, namespaces and bad options before sending", async () => {
  const { server, client, done } = setup();
  await assert.rejects(client.get(Resources.secrets, "a"), RangeError);
  await assert.rejects(client.get(Resources.namespaces, ""), RangeError);
  await assert.rejects(
    client.update(Resources.secrets, { metadata: { namespace: "ns" } }),
    RangeError,
  );
  await assert.rejects(client.apply(Resources.secrets, db("a"), { fieldManager: "" }), RangeError);
  await assert.rejects(client.list(Resources.secrets, { limit: -1 }), RangeError);
  assert.throws(() => client.watch(Resources.secrets, { timeoutSeconds: -1 }), RangeError);
  assert.equal(server.requests.length, 0);
  await done();
});

Deno.test("RestClient.create() and update() send the object with type meta", async () => {
  const { server, client, done } = setup();
  server.json(201, db("a")).json(200, db("a", "2"));
  await client.create(Resources.secrets, { metadata: { name: "a", namespace: "ns" } }, {
    fieldManager: "pgop",
  });
  const updated = await client.update(Resources.secrets, {
    metadata: { name: "a", namespace: "ns", resourceVersion: "1" },
  });
  assert.equal(updated.metadata?.resourceVersion, "2");
  const [create, update] = server.requests;
  assert.equal(
    `${create.method} ${create.path}`,
    "POST /api/v1/namespaces/ns/secrets?fieldManager=pgop",
  );
  assert.deepEqual(JSON.parse(create.body), {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "a", namespace: "ns" },
  });
  assert.equal(`${update.method} ${update.path}`, "PUT /api/v1/namespaces/ns/secrets/a");
  assert.equal(JSON.parse(update.body).metadata.resourceVersion, "1");
  assert.equal(update.headers.get("content-type"), "application/json");
  await done();
});

Deno.test("RestClient.apply() is a forced apply patch, also on the status subresource", async () => {
  const { server, client, done } = setup();
  server.json(200, db("a")).json(200, db("a"));
  const object = { ...db("a"), spec: { replicas: 1 } };
  await client.apply(Resources.statefulSets, object, { fieldManager: "pgop", force: true });
  await client.apply(Resources.databases, {
    apiVersion: "database.example.com/v1",
    kind: "Database",
    ...db("a"),
  }, {
    fieldManager: "pgop",
    subresource: "status",
  });
  const [spec, status] = server.requests;
  assert.equal(spec.method, "PATCH");
  assert.equal(
    spec.path,
    "/apis/apps/v1/namespaces/ns/statefulsets/a?fieldManager=pgop&force=true",
  );
  assert.equal(spec.headers.get("content-type"), "application/apply-patch+yaml");
  assert.deepEqual(JSON.parse(spec.body), {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    ...object,
  });
  assert.equal(
    status.path,
    "/apis/database.example.com/v1/namespaces/ns/databases/a/status?fieldManager=pgop",
  );
  await done();
});

Deno.test("RestClient.patch() sends each patch type with its content type", async () => {
  const { server, client, done } = setup();
  server.json(200, db("a")).json(200, db("a")).json(200, db("a"));
  const ns = "ns";
  await client.patch(Resources.databases, "a", { metadata: { labels: { x: "1" } } }, {
    namespace: ns,
    type: "merge",
  });
  await client.patch(Resources.databases, "a", [{ op: "remove", path: "/metadata/finalizers/0" }], {
    namespace: ns,
    type: "json",
  });
  await client.patch(Resources.statefulSets, "a", { spec: { replicas: 2 } }, {
    namespace: ns,
    type: "strategic",
    subresource: "scale",
    fieldManager: "pgop",
  });
  assert.deepEqual(server.requests.map((r) => r.headers.get("content-type")), [
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/strategic-merge-patch+json",
  ]);
  assert.deepEqual(JSON.parse(server.requests[1].body), [{
    op: "remove",
    path: "/metadata/finalizers/0",
  }]);
  assert.equal(
    server.requests[2].path,
    "/apis/apps/v1/namespaces/ns/statefulsets/a/scale?fieldManager=pgop",
  );
  await done();
});

Deno.test("RestClient.delete() sends DeleteOptions and throws NotFound", async () => {
  const { server, client, done } = setup();
  server.json(200, { kind: "Status", status: "Success" });
  server.json(404, { kind: "Status", status: "Failure", reason: "NotFound", code: 404 });
  await client.delete(Resources.secrets, "a", {
    namespace: "ns",
    propagationPolicy: "Foreground",
    preconditions: { uid: "u-1" },
  });
  const req = server.requests[0];
  assert.equal(`${req.method} ${req.path}`, "DELETE /api/v1/namespaces/ns/secrets/a");
  assert.deepEqual(JSON.parse(req.body), {
    apiVersion: "v1",
    kind: "DeleteOptions",
    propagationPolicy: "Foreground",
    preconditions: { uid: "u-1" },
  });
  await assert.rejects(client.delete(Resources.secrets, "a", { namespace: "ns" }), isNotFound);
  await done();
});

Deno.test("RestClient throws TransportError for a 2xx body that is not JSON", async () => {
  const { server, client, done } = setup();
  server.reply(() => new Response("<html>proxy</html>"));
  await assert.rejects(client.get(Resources.namespaces, "a"), TransportError);
  await done();
});

Deno.test("RestClient.watch() streams events until the server ends the stream", async () => {
  const { server, client, done } = setup();
  const feed = new Feed();
  server.reply(feed.reply);
  const events: WatchEvent<KubeObject>[] = [];
  const watching = (async () => {
    for await (
      const event of client.watch(Resources.databases, {
        namespace: "ns",
        resourceVersion: "10",
        allowWatchBookmarks: true,
        timeoutSeconds: 60,
      })
    ) {
      events.push(event);
    }
  })();
  await server.arrivals(1);
  feed.event("ADDED", db("a", "11"));
  feed.send('{"type":"MODIFIED","object":{"metadata":{"name":"a","resource');
  feed.send(
    'Version":"12"}}}\n\n{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"13"}}}\n',
  );
  feed.event("ERROR", { kind: "Status", code: 410, reason: "Expired" });
  feed.end();
  await watching;
  assert.equal(
    server.requests[0].path,
    "/apis/database.example.com/v1/namespaces/ns/databases?watch=1&resourceVersion=10&allowWatchBookmarks=true&timeoutSeconds=60",
  );
  assert.deepEqual(
    events.map((
      e,
    ) => [e.type, e.type === "ERROR" ? e.object.code : e.object.metadata?.resourceVersion]),
    [
      ["ADDED", "11"],
      ["MODIFIED", "12"],
      ["BOOKMARK", "13"],
      ["ERROR", 410],
    ],
  );
  await done();
});

Deno.test("RestClient.watch() ends without error when the signal aborts, and closes the stream", async () => {
  const { server, client, done } = setup();
  const feed = new Feed();
  server.reply(feed.reply);
  const controller = new AbortController();
  const seen: string[] = [];
  const watching = (async () => {
    for await (const event of client.watch(Resources.databases, { signal: controller.signal })) {
      seen.push(event.type);
      controller.abort();
    }
  })();
  await server.arrivals(1);
  feed.event("ADDED", db("a"));
  await watching;
  assert.deepEqual(seen, ["ADDED"]);
  await feed.cancelled.promise;
  await done();
});

Deno.test("RestClient.watch() releases the stream when the consumer breaks out", async () => {
  const { server, client, done } = setup();
  const feed = new Feed();
  server.reply(feed.reply);
  const watching = (async () => {
    for await (const _ of client.watch(Resources.databases)) break;
  })();
  await server.arrivals(1);
  feed.event("ADDED", db("a"));
  await watching;
  await feed.cancelled.promise;
  await done();
});

Deno.test("RestClient.watch() with an aborted signal sends nothing", async () => {
  const { server, client, done } = setup();
  const events = await Array.fromAsync(
    client.watch(Resources.databases, { signal: AbortSignal.abort() }),
  );
  assert.deepEqual(events, []);
  assert.equal(server.requests.length, 0);
  await done();
});

Deno.test("RestClient.watch() throws ApiError when the server refuses the watch", async () => {
  const { server, client, done } = setup();
  server.json(410, {
    kind: "Status",
    reason: "Expired",
    code: 410,
    message: "too old resource version",
  });
  const iterate = async () => {
    for await (const _ of client.watch(Resources.databases, { resourceVersion: "1" })) {
      /* none */
    }
  };
  await assert.rejects(iterate(), (err) => err instanceof ApiError && isGone(err));
  await done();
});

Deno.test("RestClient.watch() throws TransportError on a malformed event", async () => {
  const { server, client, done } = setup();
  const feed = new Feed();
  server.reply(feed.reply);
  const seen: string[] = [];
  const iterate = async () => {
    for await (const event of client.watch(Resources.databases)) seen.push(event.type);
  };
  const failed = assert.rejects(iterate(), TransportError);
  await server.arrivals(1);
  feed.event("ADDED", db("a"));
  feed.send("{oops}\n");
  await failed;
  assert.deepEqual(seen, ["ADDED"]);
  await feed.cancelled.promise;
  await done();
});

Deno.test("RestClient.watch() throws TransportError when the connection breaks", async () => {
  // A raw HTTP/1.1 server that sends one event, then hangs up mid-body.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    await conn.read(new Uint8Array(4096));
    const event = JSON.stringify({ type: "ADDED", object: db("a") }) + "\n";
    const head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    const chunk = `${event.length.toString(16)}\r\n${event}\r\n`;
    await conn.write(new TextEncoder().encode(head + chunk + '20\r\n{"type":"MODIFIED"'));
    conn.close();
  })();
  const client = new RestClient({
    server: `http://127.0.0.1:${listener.addr.port}`,
    insecureSkipTlsVerify: false,
    authHeader: () => Promise.resolve(undefined),
    context: "c",
    user: "u",
    source: "test",
  }, { clock: new FakeClock() });
  const seen: string[] = [];
  const iterate = async () => {
    for await (const event of client.watch(Resources.databases)) seen.push(event.type);
  };
  await assert.rejects(iterate(), TransportError);
  assert.deepEqual(seen, ["ADDED"]);
  await serving;
  listener.close();
  client.close();
});

Deno.test("RestClient.watch() with sendInitialEvents asks for a streaming list", async () => {
  const { server, client, done } = setup();
  const feed = new Feed();
  server.reply(feed.reply);
  const iterating = Array.fromAsync(client.watch(Resources.databases, { sendInitialEvents: true }));
  await server.arrivals(1);
  feed.end();
  assert.deepEqual(await iterating, []);
  assert.equal(
    server.requests[0].path,
    "/apis/database.example.com/v1/databases?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan",
  );
  await done();
});
