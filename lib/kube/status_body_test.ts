import assert from "node:assert/strict";
import { isAlreadyExists, isConflict, isGone, isNotFound, isTooManyRequests } from "./errors.ts";
import { apiErrorFromResponse, parseStatus } from "./status_body.ts";

const notFound = JSON.stringify({
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  message: 'databases.database.example.com "db1" not found',
  reason: "NotFound",
  details: { name: "db1", group: "database.example.com", kind: "databases" },
  code: 404,
});

Deno.test("parseStatus() decodes a Status body", () => {
  const status = parseStatus(404, notFound);
  assert.equal(status?.reason, "NotFound");
  assert.equal(status?.details?.name, "db1");
});

Deno.test("parseStatus() keeps other bodies as a shortened message", () => {
  assert.equal(parseStatus(502, ""), undefined);
  assert.equal(parseStatus(502, "  \n"), undefined);
  assert.deepEqual(parseStatus(404, "404 page not found\n"), {
    status: "Failure",
    message: "404 page not found",
    code: 404,
  });
  assert.equal(parseStatus(500, '{"kind":"Pod"}')?.message, '{"kind":"Pod"}');
  const long = parseStatus(502, "x".repeat(1000))?.message ?? "";
  assert.ok(long.length < 400 && long.endsWith("…"));
});

Deno.test("apiErrorFromResponse() keeps code, reason, status and request", () => {
  const err = apiErrorFromResponse(404, notFound, { request: "GET /apis/x", nowMs: 0 });
  assert.equal(err.code, 404);
  assert.equal(err.reason, "NotFound");
  assert.equal(err.request, "GET /apis/x");
  assert.equal(err.retryAfterSeconds, undefined);
  assert.ok(isNotFound(err));
  assert.match(err.message, /"db1" not found \(GET \/apis\/x: 404 NotFound\)/);
});

Deno.test("apiErrorFromResponse() classifies conflicts, gone and plain-text answers", () => {
  const exists = JSON.stringify({ kind: "Status", reason: "AlreadyExists", code: 409 });
  const conflict = JSON.stringify({ kind: "Status", reason: "Conflict", code: 409 });
  assert.ok(isAlreadyExists(apiErrorFromResponse(409, exists, { nowMs: 0 })));
  assert.ok(!isConflict(apiErrorFromResponse(409, exists, { nowMs: 0 })));
  assert.ok(isConflict(apiErrorFromResponse(409, conflict, { nowMs: 0 })));
  assert.ok(isGone(apiErrorFromResponse(410, "", { nowMs: 0 })));
  const plain = apiErrorFromResponse(503, "upstream connect error", { nowMs: 0 });
  assert.equal(plain.reason, "ServiceUnavailable");
  assert.match(plain.message, /upstream connect error/);
});

Deno.test("apiErrorFromResponse() takes Retry-After from the header, else from details", () => {
  const body = JSON.stringify({
    kind: "Status",
    reason: "TooManyRequests",
    code: 429,
    details: { retryAfterSeconds: 7 },
  });
  const fromHeader = apiErrorFromResponse(429, body, { retryAfter: "2", nowMs: 0 });
  assert.equal(fromHeader.retryAfterSeconds, 2);
  assert.ok(isTooManyRequests(fromHeader));
  assert.equal(
    apiErrorFromResponse(429, body, { retryAfter: null, nowMs: 0 }).retryAfterSeconds,
    7,
  );
  const date = apiErrorFromResponse(503, "", {
    retryAfter: "Thu, 01 Jan 1970 00:00:05 GMT",
    nowMs: 1000,
  });
  assert.equal(date.retryAfterSeconds, 4);
});
