import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { ApiError, TransportError } from "./errors.ts";
import { FakeApiServer } from "../../tests/support/fake_api_server.ts";
import {
  type HttpCall,
  HttpTransport,
  type RequestInfo,
  type TransportOptions,
} from "./http_transport.ts";
import { Resources } from "./resource.ts";

const GET: HttpCall = {
  verb: "get",
  resource: Resources.statefulSets,
  method: "GET",
  path: "/apis/apps/v1/namespaces/ns/statefulsets/db",
};
const CREATE: HttpCall = {
  verb: "create",
  resource: Resources.secrets,
  method: "POST",
  path: "/api/v1/namespaces/ns/secrets",
  body: "{}",
  contentType: "application/json",
};
const tooMany = { kind: "Status", status: "Failure", reason: "TooManyRequests", code: 429 };

/** Records hook calls and lets a test wait for the n-th (after which any retry timer is set). */
class Hook {
  readonly infos: RequestInfo[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];
  readonly onRequest = (info: RequestInfo) => {
    this.infos.push(info);
    for (const w of this.#waiters.filter((w) => this.infos.length >= w.n)) w.resolve();
  };
  calls(n: number): Promise<void> {
    if (this.infos.length >= n) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ n, resolve });
    return promise;
  }
  get codes(): number[] {
    return this.infos.map((i) => i.code);
  }
}

function setup(
  options: TransportOptions = {},
  server = new FakeApiServer(),
  config = server.config(),
) {
  const clock = new FakeClock();
  const hook = new Hook();
  const transport = new HttpTransport(config, {
    clock,
    onRequest: hook.onRequest,
    random: () => 0,
    ...options,
  });
  const done = async () => {
    transport.close();
    await server.close();
  };
  return { server, clock, hook, transport, done };
}

Deno.test("HttpTransport sends credentials, user agent and content type", async () => {
  const server = new FakeApiServer();
  const config = server.config({ authHeader: () => Promise.resolve("Bearer t0k") });
  const { transport, done } = setup({ userAgent: "pgop-test/1" }, server, config);
  server.json(201, { ok: true });
  const answer = await transport.send(CREATE);
  assert.equal(answer.response.status, 201);
  assert.equal(answer.text, '{"ok":true}');
  const [req] = server.requests;
  assert.equal(req.method, "POST");
  assert.equal(req.path, "/api/v1/namespaces/ns/secrets");
  assert.equal(req.headers.get("authorization"), "Bearer t0k");
  assert.equal(req.headers.get("user-agent"), "pgop-test/1");
  assert.equal(req.headers.get("accept"), "application/json");
  assert.equal(req.headers.get("content-type"), "application/json");
  assert.equal(req.body, "{}");
  await done();
});

Deno.test("HttpTransport waits Retry-After on 429, even for a create", async () => {
  const { server, clock, hook, transport, done } = setup();
  server.json(429, tooMany, { "Retry-After": "2" }).json(201, {});
  const sent = transport.send(CREATE);
  await hook.calls(1);
  await clock.advance(1999);
  assert.equal(server.requests.length, 1);
  await clock.advance(1);
  assert.equal((await sent).response.status, 201);
  assert.deepEqual(hook.codes, [429, 201]);
  assert.deepEqual(hook.infos[0], {
    verb: "create",
    resource: "secrets",
    code: 429,
    durationMs: 0,
    waitedMs: 0,
  });
  await done();
});

Deno.test("HttpTransport caps Retry-After at 60 s", async () => {
  const { server, clock, hook, transport, done } = setup();
  server.json(429, tooMany, { "Retry-After": "3600" }).json(200, {});
  const sent = transport.send(GET);
  await hook.calls(1);
  await clock.advance(60_000);
  await sent;
  assert.deepEqual(hook.codes, [429, 200]);
  await done();
});

Deno.test("HttpTransport retries 503 of a read with backoff but not of a write", async () => {
  const { server, clock, hook, transport, done } = setup();
  server.json(503, {}).json(503, {}).json(200, { kind: "StatefulSet" });
  const sent = transport.send(GET);
  await hook.calls(1);
  await clock.advance(100); // attempt 0: 200 ms step, jitter 0 → 100 ms
  await hook.calls(2);
  await clock.advance(200);
  assert.equal((await sent).text, '{"kind":"StatefulSet"}');
  server.json(503, {});
  await assert.rejects(
    transport.send(CREATE),
    (err) => err instanceof ApiError && err.code === 503,
  );
  assert.deepEqual(hook.codes, [503, 503, 200, 503]);
  await done();
});

Deno.test("HttpTransport does not retry 4xx or 500 without Retry-After", async () => {
  const { server, hook, transport, done } = setup();
  server.json(404, { kind: "Status", reason: "NotFound", code: 404, message: "nope" });
  await assert.rejects(
    transport.send(GET),
    (err) => err instanceof ApiError && err.reason === "NotFound",
  );
  server.json(500, { kind: "Status", reason: "InternalError", code: 500 });
  await assert.rejects(transport.send(GET), (err) => err instanceof ApiError && err.code === 500);
  assert.deepEqual(hook.codes, [404, 500]);
  await done();
});

Deno.test("HttpTransport gives up after maxRetries and keeps retryAfterSeconds", async () => {
  const { server, clock, hook, transport, done } = setup({ maxRetries: 2 });
  for (let i = 0; i < 3; i++) server.json(429, tooMany, { "Retry-After": "1" });
  const sent = transport.send(GET);
  const failed = assert.rejects(sent, (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 429);
    assert.equal(err.retryAfterSeconds, 1);
    assert.equal(err.request, `GET ${GET.path}`);
    return true;
  });
  await hook.calls(1);
  await clock.advance(1000);
  await hook.calls(2);
  await clock.advance(1000);
  await failed;
  assert.deepEqual(hook.codes, [429, 429, 429]);
  await done();
});

Deno.test("HttpTransport retries a refused connection, then throws TransportError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const server = new FakeApiServer();
  const config = server.config({ server: `http://127.0.0.1:${port}` });
  const { clock, hook, transport, done } = setup({ maxRetries: 1 }, server, config);
  const sent = transport.send(CREATE); // refused before sending: safe to retry a write
  const failed = assert.rejects(sent, (err) => err instanceof TransportError);
  await hook.calls(1);
  await clock.advance(100);
  await failed;
  assert.deepEqual(hook.codes, [0, 0]);
  await done();
});

Deno.test("HttpTransport retries a dropped connection for reads only", async () => {
  // A raw TCP server that reads the request, then hangs up without answering.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) {
      await conn.read(new Uint8Array(4096));
      conn.close();
    }
  })();
  const server = new FakeApiServer();
  const config = server.config({ server: `http://127.0.0.1:${listener.addr.port}` });
  const { clock, hook, transport, done } = setup({ maxRetries: 1 }, server, config);
  await assert.rejects(transport.send(CREATE), TransportError);
  assert.deepEqual(hook.codes, [0]);
  const read = assert.rejects(transport.send(GET), TransportError);
  await hook.calls(2);
  await clock.advance(100);
  await read;
  assert.deepEqual(hook.codes, [0, 0, 0]);
  listener.close();
  await accepting;
  await done();
});

Deno.test("HttpTransport times out a request that gets no answer", async () => {
  const { server, clock, transport, done } = setup({ timeoutMs: 1000, maxRetries: 0 });
  server.hang();
  const sent = transport.send(GET);
  const failed = assert.rejects(sent, (err) => {
    assert.ok(err instanceof TransportError);
    assert.match(err.message, /Timed out after 1000 ms/);
    return true;
  });
  await server.arrivals(1);
  await clock.advance(1000);
  await failed;
  await done();
});

Deno.test("HttpTransport rejects with the caller's reason on abort, without retrying", async () => {
  const { server, hook, transport, done } = setup();
  server.hang();
  const controller = new AbortController();
  const sent = transport.send({ ...GET, signal: controller.signal });
  await server.arrivals(1);
  controller.abort(new Error("shutting down"));
  await assert.rejects(sent, /shutting down/);
  assert.deepEqual(hook.codes, []);
  await done();
});

Deno.test("HttpTransport spaces requests by the token bucket and reports the wait", async () => {
  const { server, clock, hook, transport, done } = setup({ qps: 1, burst: 1 });
  server.json(200, {}).json(200, {});
  await transport.send(GET);
  const second = transport.send(GET);
  await clock.advance(999);
  assert.equal(server.requests.length, 1);
  await clock.advance(1);
  await second;
  assert.deepEqual(hook.infos.map((i) => i.waitedMs), [0, 1000]);
  await done();
});

Deno.test("HttpTransport with qps 0 never waits", async () => {
  const { server, hook, transport, done } = setup({ qps: 0, burst: 1 });
  for (let i = 0; i < 5; i++) server.json(200, {});
  await Promise.all(Array.from({ length: 5 }, () => transport.send(GET)));
  assert.deepEqual(hook.infos.map((i) => i.waitedMs), [0, 0, 0, 0, 0]);
  await done();
});

Deno.test("HttpTransport wraps a failing credential source in TransportError", async () => {
  const server = new FakeApiServer();
  const authHeader = () => Promise.reject(new Error("token file gone"));
  const { transport, done } = setup({ maxRetries: 0 }, server, server.config({ authHeader }));
  await assert.rejects(transport.send(GET), /token file gone/);
  assert.equal(server.requests.length, 0);
  await done();
});

Deno.test("HttpTransport verifies the server against caPem and presents a client certificate", async () => {
  const dir = await Deno.makeTempDir();
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const cert = await Deno.readTextFile(`${dir}/cert.pem`);
  const key = await Deno.readTextFile(`${dir}/key.pem`);
  await Deno.remove(dir, { recursive: true });
  const server = new FakeApiServer({ tls: { cert, key } });
  server.json(200, { kind: "StatefulSet" });
  const trusted = new HttpTransport(server.config({ caPem: cert, certPem: cert, keyPem: key }));
  assert.equal((await trusted.send(GET)).text, '{"kind":"StatefulSet"}');
  trusted.close();
  const untrusted = new HttpTransport(server.config(), { maxRetries: 0 });
  await assert.rejects(untrusted.send(GET), TransportError);
  untrusted.close();
  await server.close();
});

Deno.test("HttpTransport rejects bad options up front and closes idempotently", async () => {
  const config = {
    server: "http://127.0.0.1:1",
    insecureSkipTlsVerify: false,
    authHeader: () => Promise.resolve(undefined),
    context: "c",
    user: "u",
    source: "test",
  };
  assert.throws(() => new HttpTransport({ ...config, server: "ftp://x" }), RangeError);
  assert.throws(() => new HttpTransport({ ...config, server: "not a url" }), RangeError);
  assert.throws(() => new HttpTransport(config, { timeoutMs: 0 }), RangeError);
  assert.throws(() => new HttpTransport(config, { maxRetries: -1 }), RangeError);
  assert.throws(() => new HttpTransport(config, { qps: 1, burst: 0 }), RangeError);
  const transport = new HttpTransport(config);
  transport.close();
  transport.close();
  await assert.rejects(transport.send(GET), /The client is closed/);
});
