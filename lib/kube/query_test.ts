import assert from "node:assert/strict";
import { listQuery, PATCH_CONTENT_TYPES, watchQuery, withQuery, writeQuery } from "./query.ts";

Deno.test("listQuery() sets only given options", () => {
  assert.equal(listQuery().toString(), "");
  assert.equal(listQuery({ limit: 0, resourceVersion: "", continue: "" }).toString(), "");
  const q = listQuery({
    namespace: "ignored",
    labelSelector: "app=pg,tier in (a,b)",
    fieldSelector: "metadata.name=x",
    limit: 500,
    continue: "tok",
    resourceVersion: "0",
    resourceVersionMatch: "NotOlderThan",
  });
  assert.deepEqual(Object.fromEntries(q), {
    labelSelector: "app=pg,tier in (a,b)",
    fieldSelector: "metadata.name=x",
    limit: "500",
    continue: "tok",
    resourceVersion: "0",
    resourceVersionMatch: "NotOlderThan",
  });
  assert.match(q.toString(), /labelSelector=app%3Dpg%2Ctier\+in\+%28a%2Cb%29/);
});

Deno.test("listQuery() rejects a bad limit", () => {
  assert.throws(() => listQuery({ limit: -1 }), RangeError);
  assert.throws(() => listQuery({ limit: 1.5 }), RangeError);
});

Deno.test("watchQuery() always sets watch=1 and the given options", () => {
  assert.equal(watchQuery().toString(), "watch=1");
  const q = watchQuery({
    labelSelector: "a=b",
    resourceVersion: "42",
    allowWatchBookmarks: true,
    timeoutSeconds: 300,
  });
  assert.deepEqual(Object.fromEntries(q), {
    labelSelector: "a=b",
    watch: "1",
    resourceVersion: "42",
    allowWatchBookmarks: "true",
    timeoutSeconds: "300",
  });
});

Deno.test("watchQuery() with sendInitialEvents adds NotOlderThan and bookmarks", () => {
  const q = watchQuery({ sendInitialEvents: true, resourceVersion: "" });
  assert.deepEqual(Object.fromEntries(q), {
    watch: "1",
    sendInitialEvents: "true",
    allowWatchBookmarks: "true",
    resourceVersionMatch: "NotOlderThan",
  });
});

Deno.test("watchQuery() rejects a bad timeout", () => {
  assert.throws(() => watchQuery({ timeoutSeconds: -5 }), RangeError);
  assert.throws(() => watchQuery({ timeoutSeconds: 0.5 }), RangeError);
});

Deno.test("writeQuery() and withQuery() compose paths", () => {
  assert.equal(withQuery("/api/v1/pods", writeQuery()), "/api/v1/pods");
  assert.equal(withQuery("/p", writeQuery("pgop", true)), "/p?fieldManager=pgop&force=true");
  assert.equal(withQuery("/p", writeQuery("pgop", false)), "/p?fieldManager=pgop");
});

Deno.test("PATCH_CONTENT_TYPES names the three patch media types", () => {
  assert.deepEqual(PATCH_CONTENT_TYPES, {
    merge: "application/merge-patch+json",
    json: "application/json-patch+json",
    strategic: "application/strategic-merge-patch+json",
  });
});
