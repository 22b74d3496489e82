import assert from "node:assert/strict";
import { type AuditedRequest, retryGapsAfter429 } from "./audit.ts";

const request = (
  name: string,
  code: number,
  received: number,
  extra: Partial<AuditedRequest> = {},
): AuditedRequest => ({
  user: "u",
  verb: "patch",
  resource: "databases",
  subresource: "status",
  namespace: "default",
  name,
  code,
  received,
  completed: received + 5,
  ...extra,
});

Deno.test("retryGapsAfter429() measures from a 429's answer to the next request on the object", () => {
  const gaps = retryGapsAfter429([
    request("a", 200, 0),
    request("a", 429, 100),
    request("b", 429, 150),
    request("a", 200, 1200),
    request("b", 429, 1160),
    request("b", 200, 2170),
  ]);
  assert.deepEqual(
    gaps.map((g) => `${g.request.name}@${g.request.received}: ${g.gapMs}`),
    ["a@100: 1095", "b@150: 1005", "b@1160: 1005"],
  );
});

Deno.test("retryGapsAfter429() ignores unnamed requests, other verbs and unrepeated ones", () => {
  assert.deepEqual(
    retryGapsAfter429([
      request("", 429, 0, { verb: "list" }),
      request("", 429, 10, { verb: "list" }),
      request("a", 429, 20),
      request("a", 201, 30, { verb: "create" }),
    ]),
    [],
  );
});
