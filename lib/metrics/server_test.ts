import assert from "node:assert/strict";
import { PgopMetrics } from "./registry.ts";
import { createHandler, type Readiness, serveHttp } from "./server.ts";

Deno.test("serveHttp() answers metrics, health and readiness, and nothing else", async () => {
  const metrics = new PgopMetrics();
  let ready: boolean | Readiness = { ok: false, detail: "caches not synced" };
  let live = true;
  const stop = new AbortController();
  let listened = 0;
  const server = serveHttp({
    hostname: "127.0.0.1",
    port: 0,
    metrics,
    health: { live: () => live, ready: () => ready },
    signal: stop.signal,
    onListen: (addr) => void (listened = addr.port),
  });
  try {
    assert.ok(server.port > 0);
    assert.equal(listened, server.port);
    const base = `http://127.0.0.1:${server.port}`;
    const get = async (path: string, init?: RequestInit) => {
      const res = await fetch(base + path, init);
      return { status: res.status, headers: res.headers, body: await res.text() };
    };

    const scrape = await get("/metrics");
    assert.equal(scrape.status, 200);
    assert.match(scrape.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.match(scrape.body, /^database_reconcile_total\{result="terminal"\} 0$/m);

    assert.deepEqual([(await get("/healthz")).status, (await get("/healthz")).body], [200, "ok\n"]);
    live = false;
    assert.equal((await get("/healthz")).status, 500);

    const notReady = await get("/readyz");
    assert.deepEqual([notReady.status, notReady.body], [503, "not ready: caches not synced\n"]);
    ready = false;
    assert.deepEqual(await get("/readyz").then((r) => r.body), "not ready\n");
    ready = true;
    assert.deepEqual(await get("/readyz").then((r) => [r.status, r.body]), [200, "ok\n"]);

    assert.equal((await get("/")).status, 404);
    assert.equal((await get("/debug/pprof")).status, 404);
    assert.equal((await get("/metrics/")).status, 404);
    const post = await get("/metrics", { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    const head = await get("/readyz", { method: "HEAD" });
    assert.deepEqual([head.status, head.body], [200, ""]);
  } finally {
    stop.abort();
    await server.finished;
  }
});

Deno.test("createHandler() turns a failing scrape into 500 and reports it", async () => {
  const errors: unknown[] = [];
  const boom = new Error("collect failed");
  const handler = createHandler({
    metrics: { contentType: "text/plain", text: () => Promise.reject(boom) },
    health: { live: () => true, ready: () => true },
    onError: (e) => errors.push(e),
  });
  const res = await handler(new Request("http://x/metrics"));
  assert.equal(res.status, 500);
  assert.equal(await res.text(), "internal error\n");
  assert.deepEqual(errors, [boom]);
});

Deno.test("createHandler() ignores the query string", async () => {
  const handler = createHandler({
    metrics: new PgopMetrics(),
    health: { live: () => true, ready: () => true },
  });
  const res = await handler(new Request("http://x/healthz?verbose=1"));
  assert.deepEqual([res.status, await res.text()], [200, "ok\n"]);
});

Deno.test("serveHttp() rejects a bad port before listening", () => {
  const health = { live: () => true, ready: () => true };
  const signal = AbortSignal.abort();
  const metrics = new PgopMetrics();
  assert.throws(() => serveHttp({ port: 70000, metrics, health, signal }), RangeError);
  assert.throws(() => serveHttp({ port: 1.5, metrics, health, signal }), RangeError);
});

Deno.test("createHandler() serves only its paths and asks the authorizer for /metrics", async () => {
  const metrics = new PgopMetrics();
  const health = { live: () => true, ready: () => true };
  const decisions: (200 | 401 | 403)[] = [401, 403, 200];
  const handler = createHandler({
    metrics,
    health,
    paths: ["/metrics"],
    authorizer: { check: () => Promise.resolve({ status: decisions.shift() ?? 200, detail: "" }) },
  });
  const get = (path: string) => handler(new Request(`https://pgop${path}`));
  const unauthorized = await get("/metrics");
  assert.equal(unauthorized.status, 401);
  assert.match(unauthorized.headers.get("WWW-Authenticate") ?? "", /^Bearer/);
  assert.equal((await get("/metrics")).status, 403);
  const allowed = await get("/metrics");
  assert.equal(allowed.status, 200);
  assert.match(await allowed.text(), /# TYPE/);
  assert.equal((await get("/healthz")).status, 404);

  const failing = createHandler({
    metrics,
    health,
    authorizer: { check: () => Promise.reject(new Error("API server down")) },
    onError: () => {},
  });
  assert.equal((await failing(new Request("https://pgop/metrics"))).status, 500);
  const probes = createHandler({ health, paths: ["/healthz", "/readyz"] });
  assert.equal((await probes(new Request("http://pgop/readyz"))).status, 200);
  assert.equal((await probes(new Request("http://pgop/metrics"))).status, 404);
});
