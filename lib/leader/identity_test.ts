import assert from "node:assert/strict";
import { defaultIdentity } from "./identity.ts";

Deno.test("defaultIdentity() is the host name and eight random hex digits", () => {
  const host = Deno.env.get("HOSTNAME") || Deno.hostname();
  const identity = defaultIdentity();
  assert.match(identity, /^.+_[0-9a-f]{8}$/);
  assert.equal(identity.slice(0, -9), host);
});

Deno.test("defaultIdentity() differs between calls", () => {
  const identities = new Set(Array.from({ length: 20 }, () => defaultIdentity()));
  assert.equal(identities.size, 20);
});
