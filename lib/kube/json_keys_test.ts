import assert from "node:assert/strict";
import { jsonTopLevelKeys } from "./json_keys.ts";

const keysOf = (json: string) => jsonTopLevelKeys(new TextEncoder().encode(json));

Deno.test("jsonTopLevelKeys() gives an object's top-level keys, as JSON.parse would", () => {
  const fieldsV1 = {
    "f:metadata": { "f:labels": { "f:app": {} }, "f:ownerReferences": { 'k:{"uid":"1"}': {} } },
    "f:spec": { "f:ports": { 'k:{"port":5432,"protocol":"TCP"}': { ".": {}, "f:name": {} } } },
    ".": {},
    "f:data": { "f:password": {} },
  };
  const json = JSON.stringify(fieldsV1);
  const expected = Object.fromEntries(Object.keys(JSON.parse(json)).map((k) => [k, {}]));
  assert.deepEqual(keysOf(json), expected);
});

Deno.test("jsonTopLevelKeys() skips strings whole, braces, commas and escapes included", () => {
  assert.deepEqual(
    keysOf('{"a":"x}{,\\"b\\":1","c":[1,{"d":2},"]"],"e\\u0041\\"":{"f":"\\\\"}}'),
    { a: {}, c: {}, 'eA"': {} },
  );
  assert.deepEqual(keysOf(' { "a" : 1 , "b" : { } } '), { a: {}, b: {} });
});

Deno.test("jsonTopLevelKeys() reads only its range, and nothing from an empty object", () => {
  const bytes = new TextEncoder().encode('xx{"a":{"b":1}}yy');
  assert.deepEqual(jsonTopLevelKeys(bytes, 2, bytes.length - 2), { a: {} });
  assert.deepEqual(keysOf("{}"), {});
  assert.deepEqual(keysOf(""), {});
});

Deno.test("jsonTopLevelKeys() rejects a key with broken escapes", () => {
  assert.throws(() => keysOf('{"a\\x":1}'), SyntaxError);
});
