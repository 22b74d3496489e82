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

Deno.test({
  name: "pgop's FFI permission lets it open this machine's glibc for malloc_trim",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const ffi = PGOP_PERMISSIONS.filter((p) => p.startsWith("--allow-ffi="));
    assert.equal(ffi.length, 1);
    const module = new URL("lib/malloc_trim.ts", root).href;
    const script = await Deno.makeTempFile({ suffix: ".ts" });
    try {
      await Deno.writeTextFile(
        script,
        `import { openMallocTrim } from ${JSON.stringify(module)};\n` +
          `const m = openMallocTrim();\nconsole.log("reason" in m ? m.reason : "opened");\n`,
      );
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", ...ffi, script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      assert.equal(new TextDecoder().decode(stdout).trim(), "opened");
    } finally {
      await Deno.remove(script);
    }
  },
});
