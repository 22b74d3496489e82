import assert from "node:assert/strict";
import {
  isConnectPhaseError,
  isIdempotent,
  MAX_RETRY_AFTER_SECONDS,
  parseRetryAfter,
  retryDelayMs,
  shouldRetryStatus,
  shouldRetryTransport,
} from "./retry.ts";

Deno.test("retryDelayMs() honours retryAfterSeconds, caps it, and spreads retries up to +50%", () => {
  const low = { random: () => 0 };
  assert.equal(retryDelayMs(0, { ...low, retryAfterSeconds: 3 }), 3000);
  assert.equal(retryDelayMs(0, { random: () => 0.999999, retryAfterSeconds: 2 }) < 3000, true);
  assert.equal(retryDelayMs(0, { random: () => 0.5, retryAfterSeconds: 2 }), 2500);
  assert.equal(retryDelayMs(4, { retryAfterSeconds: 0 }), 0);
  assert.equal(
    retryDelayMs(0, { ...low, retryAfterSeconds: 3600 }),
    MAX_RETRY_AFTER_SECONDS * 1000,
  );
});

Deno.test("retryDelayMs() backs off exponentially with equal jitter up to maxMs", () => {
  const low = { baseMs: 100, maxMs: 1000, random: () => 0 };
  const high = { baseMs: 100, maxMs: 1000, random: () => 0.999999 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => retryDelayMs(a, low)), [
    50,
    100,
    200,
    400,
    500,
    500,
  ]);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((a) => Math.round(retryDelayMs(a, high))),
    [100, 200, 400, 800, 1000],
  );
  assert.equal(retryDelayMs(5000, low), 500);
});

Deno.test("retryDelayMs() ignores a negative or non-finite retryAfterSeconds", () => {
  const opts = { baseMs: 100, maxMs: 1000, random: () => 0 };
  assert.equal(retryDelayMs(0, { ...opts, retryAfterSeconds: -1 }), 50);
  assert.equal(retryDelayMs(0, { ...opts, retryAfterSeconds: Number.NaN }), 50);
});

Deno.test("retryDelayMs() rejects a bad attempt number", () => {
  assert.throws(() => retryDelayMs(-1), RangeError);
  assert.throws(() => retryDelayMs(1.5), RangeError);
});

Deno.test("parseRetryAfter() reads delta-seconds and HTTP-dates", () => {
  const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
  assert.equal(parseRetryAfter("3", now), 3);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", now), 10);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now + 500), 0);
});

Deno.test("parseRetryAfter() returns undefined for absent or unreadable values", () => {
  for (const value of [null, undefined, "", "  ", "-1", "1.5", "soon", "Wed, 99 Foo"]) {
    assert.equal(parseRetryAfter(value, 0), undefined, String(value));
  }
});

Deno.test("shouldRetryStatus() retries 429 for every verb, 5xx only for reads", () => {
  for (
    const verb of ["get", "list", "watch", "create", "update", "patch", "apply", "delete"] as const
  ) {
    assert.equal(shouldRetryStatus(verb, 429, false), true, verb);
    assert.equal(shouldRetryStatus(verb, 503, true), isIdempotent(verb), verb);
    assert.equal(shouldRetryStatus(verb, 404, true), false, verb);
    assert.equal(shouldRetryStatus(verb, 409, false), false, verb);
  }
  assert.equal(shouldRetryStatus("get", 500, false), false);
  assert.equal(shouldRetryStatus("get", 500, true), true);
  assert.equal(shouldRetryStatus("list", 502, false), true);
  assert.equal(shouldRetryStatus("list", 504, false), true);
  assert.equal(shouldRetryStatus("list", 501, false), false);
});

Deno.test("shouldRetryTransport() retries writes only when never sent", () => {
  assert.equal(shouldRetryTransport("get", false), true);
  assert.equal(shouldRetryTransport("watch", false), true);
  assert.equal(shouldRetryTransport("create", false), false);
  assert.equal(shouldRetryTransport("create", true), true);
  assert.equal(shouldRetryTransport("delete", true), true);
});

Deno.test("isConnectPhaseError() recognises Deno's connect errors in the cause chain", () => {
  const connect = new TypeError("fetch failed", {
    cause: new Error(
      "error sending request for url (http://127.0.0.1:1/x): client error (Connect): tcp connect error",
    ),
  });
  const sent = new TypeError("fetch failed", {
    cause: new Error("client error (SendRequest): connection closed before message completed"),
  });
  assert.equal(isConnectPhaseError(connect), true);
  assert.equal(isConnectPhaseError(sent), false);
  assert.equal(isConnectPhaseError("client error (Connect)"), false);
  assert.equal(isConnectPhaseError(undefined), false);
});
