import assert from "node:assert/strict";
import { isSensitive, redactStatus } from "./redact.ts";
import { Resources } from "./resource.ts";
import { apiErrorFromResponse } from "./status_body.ts";

/** The API server's 422 for a Secret an admission policy refused, echoing a value. */
const ECHOED = JSON.stringify({
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  message: 'secrets "db-app" is invalid: data[password]: Invalid value: "hunter2-secret": echoed',
  reason: "Invalid",
  details: {
    name: "db-app",
    kind: "secrets",
    causes: [{
      reason: "FieldValueInvalid",
      message: 'Invalid value: "hunter2-secret": echoed',
      field: "data[password]",
    }],
  },
  code: 422,
});

Deno.test("apiErrorFromResponse() keeps no value of a sensitive request's answer", () => {
  const error = apiErrorFromResponse(422, ECHOED, {
    request: "POST /api/v1/namespaces/default/secrets",
    nowMs: 0,
    sensitive: true,
  });
  assert.equal(error.code, 422);
  assert.equal(error.reason, "Invalid");
  const everything = JSON.stringify({ message: error.message, status: error.status });
  assert.doesNotMatch(everything, /hunter2/);
  assert.match(
    error.message,
    /secrets "db-app" was refused \(Invalid\): data\[password\] FieldValueInvalid/,
  );
  assert.match(error.message, /withheld/);
  assert.deepEqual(error.status?.details?.causes, [
    { reason: "FieldValueInvalid", field: "data[password]" },
  ]);
});

Deno.test("apiErrorFromResponse() keeps other answers whole", () => {
  const error = apiErrorFromResponse(422, ECHOED, { nowMs: 0 });
  assert.match(error.message, /hunter2/);
});

Deno.test("redactStatus() replaces a plain-text body too", () => {
  const status = redactStatus({ status: "Failure", message: "proxy says hunter2", code: 502 }, 502);
  assert.doesNotMatch(JSON.stringify(status), /hunter2/);
  assert.equal(redactStatus(undefined, 500), undefined);
});

Deno.test("isSensitive(): Secrets and token reviews, not Services", () => {
  assert.equal(isSensitive(Resources.secrets), true);
  assert.equal(isSensitive(Resources.services), false);
  assert.equal(isSensitive(undefined), false);
});
