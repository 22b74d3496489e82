import assert from "node:assert/strict";
import { compactScript, INSTANCE_SCRIPT } from "./instance_script.ts";
import { PROMOTE_AFTER_LSN_ANNOTATION, REPLICAS_ANNOTATION, ROLE_LABEL } from "./roles.ts";

async function syntaxCheck(script: string): Promise<string> {
  const child = new Deno.Command("sh", { args: ["-n"], stdin: "piped", stderr: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { code, stderr } = await child.output();
  return code === 0 ? "" : new TextDecoder().decode(stderr);
}

Deno.test("instance script: the text and its compact form are valid sh", async () => {
  assert.equal(await syntaxCheck(INSTANCE_SCRIPT), "");
  assert.equal(await syntaxCheck(compactScript()), "");
});

Deno.test("instance script: the names shared with pgop are in the text", () => {
  for (const name of [ROLE_LABEL, REPLICAS_ANNOTATION, PROMOTE_AFTER_LSN_ANNOTATION]) {
    assert.ok(INSTANCE_SCRIPT.includes(name), name);
  }
  // No unexpanded placeholder of this file's template literals reaches the shell.
  assert.ok(!INSTANCE_SCRIPT.includes("${"));
  assert.ok(!INSTANCE_SCRIPT.includes("undefined"));
});

Deno.test("compactScript() drops comments, blank lines and indentation only", () => {
  assert.equal(
    compactScript("# a comment\nf() {\n  # inside\n  echo 'x  y'\n\n}\n"),
    "f() {\necho 'x  y'\n}\n",
  );
  const compact = compactScript();
  assert.ok(compact.length < INSTANCE_SCRIPT.length);
  assert.ok(!compact.split("\n").some((line) => line.startsWith(" ") || line.startsWith("#")));
});
