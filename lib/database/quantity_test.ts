import assert from "node:assert/strict";
import { canonicalizeQuantity, MAX_QUANTITY_VALUE, parseQuantity } from "./quantity.ts";

const Ki = 1024n;
const Gi = Ki ** 3n;

Deno.test("parseQuantity() reads every suffix and form exactly", () => {
  const table: Array<[string, bigint]> = [
    ["0", 0n],
    ["512", 512n],
    ["1Ki", Ki],
    ["1Mi", Ki ** 2n],
    ["10Gi", 10n * Gi],
    ["1Ti", Ki ** 4n],
    ["1Pi", Ki ** 5n],
    ["1Ei", Ki ** 6n],
    ["1k", 1000n],
    ["1M", 10n ** 6n],
    ["1G", 10n ** 9n],
    ["1T", 10n ** 12n],
    ["1P", 10n ** 15n],
    ["1E", 10n ** 18n],
    ["1.5Gi", 3n * Gi / 2n],
    ["0.5Ki", 512n],
    [".5k", 500n],
    ["1.", 1n],
    ["1e3", 1000n],
    ["1E9", 10n ** 9n],
    ["1e+3", 1000n],
    ["1000e-3", 1n],
    ["2000m", 2n],
    ["+1Ki", Ki],
    ["-1Gi", -Gi],
    ["7Ei", 7n * Ki ** 6n],
  ];
  for (const [text, bytes] of table) assert.equal(parseQuantity(text), bytes, text);
});

Deno.test("parseQuantity() rejects garbage, fractions and out-of-range values", () => {
  const table = [
    "",
    " ",
    "Gi",
    "10 Gi",
    "10GB",
    "10gi",
    "10Ki5",
    "1.2.3",
    "--1",
    "1e",
    "1e1.5",
    "0x10",
    "Infinity",
    "0.5",
    "1m",
    "1e-3",
    "1.0001k",
    "8Ei",
    "1e40",
    "1e99",
    "9".repeat(65),
  ];
  for (const text of table) {
    assert.throws(() => parseQuantity(text), RangeError, JSON.stringify(text));
  }
});

Deno.test("parseQuantity() rejects a non-string with RangeError", () => {
  assert.throws(() => parseQuantity(5 as unknown as string), RangeError);
});

Deno.test("parseQuantity() accepts the largest int64 value and no more", () => {
  assert.equal(parseQuantity(MAX_QUANTITY_VALUE.toString()), MAX_QUANTITY_VALUE);
  assert.throws(() => parseQuantity((MAX_QUANTITY_VALUE + 1n).toString()), RangeError);
});

Deno.test("canonicalizeQuantity() gives the API server's canonical form", () => {
  const table: Array<[string, string]> = [
    ["10Gi", "10Gi"],
    ["1024Mi", "1Gi"],
    ["1536Mi", "1536Mi"],
    ["1.5Gi", "1536Mi"],
    ["2048", "2048"],
    ["1048576", "1048576"],
    ["1Ki", "1Ki"],
    ["0.5Ki", "512"],
    ["1000Ki", "1000Ki"],
    ["1000M", "1G"],
    ["1500k", "1500k"],
    ["1.5G", "1500M"],
    ["100", "100"],
    ["1000", "1k"],
    ["10000", "10k"],
    ["1e3", "1e3"],
    ["1E3", "1e3"],
    ["12e2", "1200"],
    ["1e10", "10e9"],
    ["1000m", "1"],
    ["0", "0"],
    ["0Gi", "0"],
    ["-1Gi", "-1Gi"],
    ["+10Gi", "10Gi"],
    ["10737418240", "10737418240"],
    ["1Ei", "1Ei"],
    ["1024Pi", "1Ei"],
    ["1.500k", "1500"],
    ["010Gi", "10Gi"],
    ["1e+3", "1e3"],
  ];
  for (const [text, canonical] of table) assert.equal(canonicalizeQuantity(text), canonical, text);
});

Deno.test("canonicalizeQuantity() is idempotent", () => {
  for (const text of ["10Gi", "1.5Gi", "1000M", "1e10", "12e2", "1000m", "2048"]) {
    const once = canonicalizeQuantity(text);
    assert.equal(canonicalizeQuantity(once), once, text);
    assert.equal(parseQuantity(once), parseQuantity(text), text);
  }
});

Deno.test("canonicalizeQuantity() rejects what parseQuantity() rejects", () => {
  for (const text of ["", "abc", "0.5", "1m"]) {
    assert.throws(() => canonicalizeQuantity(text), RangeError, text);
  }
});
