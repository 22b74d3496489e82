import assert from "node:assert/strict";
import { PGOP_PERMISSIONS, PGOP_V8_FLAGS, pgopRunFlags } from "./pgop_runtime.ts";

const root = new URL("../../", import.meta.url);

Deno.test("deno task pgop runs main.ts with the launchers' flags", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).tasks;
  const pgop: string = tasks.pgop;
  assert.ok(pgop.endsWith(" main.ts"), pgop);
  const flags = pgop.replace(/^\S+ run /, "").replace(/ main\.ts$/, "").split(" ");
  assert.deepEqual(flags, pgopRunFlags());
});

Deno.test("the Dockerfile compiles pgop with the same V8 flags", async () => {
  const text = await Deno.readTextFile(new URL("Dockerfile", root));
  const compile = /RUN deno compile((?:[^\n]*\\\n)*[^\n]*)/.exec(text)?.[1] ?? "";
  assert.match(compile, new RegExp(`--v8-flags=${PGOP_V8_FLAGS}(\\s|\\\\)`));
  assert.deepEqual(
    PGOP_PERMISSIONS.map((p) => compile.includes(p)),
    PGOP_PERMISSIONS.map(() => true),
  );
});
