import assert from "node:assert/strict";
import { selfSignedCertificate } from "./self_signed.ts";

Deno.test("selfSignedCertificate() serves TLS that a client trusting it accepts for 127.0.0.1", async () => {
  const tls = await selfSignedCertificate();
  assert.match(tls.cert, /^-----BEGIN CERTIFICATE-----/);
  assert.match(tls.key, /^-----BEGIN PRIVATE KEY-----/);
  const stop = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, ...tls, signal: stop.signal, onListen: () => {} },
    () => new Response("ok"),
  );
  const client = Deno.createHttpClient({ caCerts: [tls.cert] });
  try {
    const res = await fetch(`https://127.0.0.1:${server.addr.port}/`, { client });
    assert.equal(await res.text(), "ok");
    // Not trusted without it: no system CA signed it.
    await assert.rejects(fetch(`https://127.0.0.1:${server.addr.port}/`));
  } finally {
    client.close();
    stop.abort();
    await server.finished;
  }
});

Deno.test("selfSignedCertificate() makes a new key every time", async () => {
  const [a, b] = await Promise.all([selfSignedCertificate(), selfSignedCertificate()]);
  assert.notEqual(a.key, b.key);
  assert.notEqual(a.cert, b.cert);
});
