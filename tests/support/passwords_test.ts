import assert from "node:assert/strict";
import { leakedIn, passwordOf, secretForms } from "./passwords.ts";

const PASSWORD = "Kp7wQ2xZr9mVt4LbN8cHs3JdF6gYa5Ue";

Deno.test("leakedIn() finds a password plain and inside base64 at every byte alignment", () => {
  const passwords = new Map([["db-app", PASSWORD]]);
  assert.deepEqual(leakedIn(`level=info password=${PASSWORD}`, passwords), ["db-app"]);
  for (const prefix of ["", "a", "ab", "postgresql://admin:"]) {
    const encoded = btoa(`${prefix}${PASSWORD}@db.default.svc:5432/db1`);
    assert.deepEqual(leakedIn(`"uri":"${encoded}"`, passwords), ["db-app"], `after "${prefix}"`);
  }
});

Deno.test("leakedIn() finds nothing in text without the password", () => {
  const passwords = new Map([["db-app", PASSWORD]]);
  assert.deepEqual(leakedIn(btoa("postgresql://admin:other@db:5432/db1"), passwords), []);
  assert.deepEqual(leakedIn(PASSWORD.slice(0, 20), passwords), []);
});

Deno.test("secretForms() gives the value and three base64 cores", () => {
  const forms = secretForms(PASSWORD);
  assert.equal(forms.length, 4);
  assert.equal(forms[0], PASSWORD);
  assert.equal(forms[1], btoa(PASSWORD).slice(0, -4));
});

Deno.test("passwordOf() decodes data.password, undefined without one", () => {
  assert.equal(passwordOf({ data: { password: btoa(PASSWORD) } }), PASSWORD);
  assert.equal(passwordOf({ data: {} }), undefined);
});
