import assert from "node:assert/strict";
import { DEFAULT_PASSWORD_LENGTH, generatePassword, PASSWORD_ALPHABET } from "./password.ts";

Deno.test("PASSWORD_ALPHABET has no look-alike or duplicate characters", () => {
  for (const c of "0Oo1lI") assert.ok(!PASSWORD_ALPHABET.includes(c), c);
  assert.equal(new Set(PASSWORD_ALPHABET).size, PASSWORD_ALPHABET.length);
  assert.match(PASSWORD_ALPHABET, /^[A-Za-z0-9]+$/);
});

Deno.test("generatePassword() gives 32 alphabet characters by default", () => {
  const password = generatePassword();
  assert.equal(password.length, DEFAULT_PASSWORD_LENGTH);
  for (const c of password) assert.ok(PASSWORD_ALPHABET.includes(c), c);
  assert.notEqual(generatePassword(), password);
});

Deno.test("generatePassword() honours the length option", () => {
  assert.equal(generatePassword({ length: 16 }).length, 16);
  assert.equal(generatePassword({ length: 1024 }).length, 1024);
});

Deno.test("generatePassword() rejects lengths outside 16–1024", () => {
  for (const length of [0, 15, 1025, 20.5, Number.NaN]) {
    assert.throws(() => generatePassword({ length }), RangeError, String(length));
  }
});

Deno.test("generatePassword() discards bytes that would bias the choice", () => {
  const size = PASSWORD_ALPHABET.length;
  const limit = 256 - (256 % size);
  // First round: only biased bytes (all discarded); second round: byte i maps to character i % size.
  let round = 0;
  const getRandomValues = (array: Uint8Array) => {
    array.forEach((_, i) => (array[i] = round === 0 ? limit + (i % (256 - limit)) : i));
    round++;
    return array;
  };
  const password = generatePassword({ length: 16, getRandomValues });
  assert.equal(round, 2);
  assert.equal(password, PASSWORD_ALPHABET.slice(0, 16));
});

Deno.test("generatePassword() maps bytes below the limit modulo the alphabet size", () => {
  const size = PASSWORD_ALPHABET.length;
  const bytes = [size, size + 1, 2 * size + 2, 255, 0];
  const getRandomValues = (array: Uint8Array) => {
    array.forEach((_, i) => (array[i] = bytes[i % bytes.length]));
    return array;
  };
  const password = generatePassword({ length: 16, getRandomValues });
  // 255 is at or above the limit and skipped; the others map to characters 0, 1, 2, 0.
  assert.equal(
    password.slice(0, 4),
    PASSWORD_ALPHABET[0] + PASSWORD_ALPHABET[1] + PASSWORD_ALPHABET[2] + PASSWORD_ALPHABET[0],
  );
});
