import assert from "node:assert/strict";
import { WeakInterner } from "./weak_interner.ts";

type Box = { readonly value: string };
const box = (value: string): Box => ({ value });

Deno.test("WeakInterner shares the first value made under a key with equal later ones", () => {
  const interner = new WeakInterner<Box>();
  const first = interner.share("k", (s) => s.value === "a", () => box("a"));
  const second = interner.share("k", (s) => s.value === "a", () => box("a"));
  assert.equal(second, first);
  assert.equal(interner.size, 1);
});

Deno.test("WeakInterner makes its own value when the shared one differs, and keeps the first shared", () => {
  const interner = new WeakInterner<Box>();
  const first = interner.share("k", (s) => s.value === "a", () => box("a"));
  const other = interner.share("k", (s) => s.value === "b", () => box("b"));
  assert.notEqual(other, first);
  assert.equal(other.value, "b");
  assert.equal(interner.share("k", (s) => s.value === "a", () => box("a")), first);
});

Deno.test("WeakInterner keeps keys apart", () => {
  const interner = new WeakInterner<Box>();
  const a = interner.share("a", () => true, () => box("x"));
  const b = interner.share("b", () => true, () => box("x"));
  assert.notEqual(a, b);
  assert.equal(interner.size, 2);
});

/**
 * Runs `body` in a process of its own (collection needs --expose-gc), with
 * `WeakInterner` imported; returns what it printed, parsed as JSON.
 */
async function runWithGc(body: string): Promise<unknown> {
  const module = JSON.stringify(new URL("./weak_interner.ts", import.meta.url).href);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", `import { WeakInterner } from ${module};\n${body}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

Deno.test("WeakInterner sweeps as keys grow, so dead keys stay bounded", async () => {
  const { most } = await runWithGc(`
    const interner = new WeakInterner();
    let most = 0;
    for (let round = 0; round < 20; round++) {
      (() => { for (let i = 0; i < 1000; i++) interner.share(round + "/" + i, () => true, () => ({ i })); })();
      most = Math.max(most, interner.size);
      // A WeakRef holds its value until the job that made or read it ends.
      await new Promise((resolve) => setTimeout(resolve, 0));
      gc();
    }
    console.log(JSON.stringify({ most }));
  `) as { most: number };
  assert.ok(most <= 3000, `20,000 keys made, none held, at most ${most} kept`);
});

Deno.test("WeakInterner lets the garbage collector take values nobody holds, and sweeps their keys", async () => {
  const result = await runWithGc(`
    const interner = new WeakInterner();
    (() => { for (let i = 0; i < 100; i++) interner.share("k" + i, () => true, () => ({ i })); })();
    const kept = interner.share("kept", () => true, () => ({}));
    for (let i = 0; i < 20 && interner.size > 1; i++) {
      // A WeakRef holds its value until the job that made or read it ends.
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
      interner.sweep();
    }
    console.log(JSON.stringify({ size: interner.size, kept: interner.share("kept", () => true, () => ({})) === kept }));
  `);
  assert.deepEqual(result, { size: 1, kept: true });
});
