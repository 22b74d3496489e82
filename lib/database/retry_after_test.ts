import assert from "node:assert/strict";
import { ApiError } from "../kube/errors.ts";
import { RetryAfterHold } from "./retry_after.ts";

Deno.test("RetryAfterHold holds a key for a shed request's Retry-After only", () => {
  const hold = new RetryAfterHold();
  hold.hold("ns/a", new ApiError(429, undefined, { retryAfterSeconds: 2 }), 1_000);
  hold.hold("ns/b", new ApiError(429, undefined), 1_000);
  hold.hold("ns/c", new ApiError(409, undefined, { retryAfterSeconds: 2 }), 1_000);
  hold.hold("ns/d", new Error("not an API error"), 1_000);
  assert.equal(hold.remaining("ns/a", 1_500), 1_500);
  for (const key of ["ns/b", "ns/c", "ns/d"]) assert.equal(hold.remaining(key, 1_500), undefined);
  assert.equal(hold.remaining("ns/a", 3_000), undefined, "over once it has passed");
  assert.equal(hold.remaining("ns/a", 1_500), undefined, "and forgotten");
});
