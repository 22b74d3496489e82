import assert from "node:assert/strict";
import { dockerfileFlags } from "./dockerfile.ts";
import { imageConfig, imageEntrypoint, npmDirs, pruneLockfile } from "./pgop_image.ts";

/** The flags that make pgop's sandbox and its heap: every `--allow-*` and `--v8-flags`. */
const sandbox = (flags: readonly string[]) =>
  flags.filter((f) => f.startsWith("--allow-") || f.startsWith("--v8-flags")).sort();

Deno.test("the local image runs main.ts with exactly the Dockerfile's permissions and V8 flags", async () => {
  const entrypoint = imageEntrypoint();
  assert.deepEqual(sandbox(entrypoint), sandbox(await dockerfileFlags()));
  assert.deepEqual(entrypoint.slice(0, 2), ["/usr/local/bin/deno", "run"]);
  assert.equal(entrypoint.at(-1), "/app/main.ts");
  // Nothing else that widens the sandbox or fetches at run time.
  const others = entrypoint.slice(2, -1).filter((f) => !sandbox([f]).length);
  assert.deepEqual(others, ["--frozen", "--cached-only", "--no-prompt", "--config=/app/deno.json"]);
  assert.equal(imageConfig().User, "65532:65532");
});

Deno.test("pruneLockfile() drops package.json's toolchain and what only it needs", async () => {
  const lock = JSON.parse(await Deno.readTextFile(new URL("../../deno.lock", import.meta.url)));
  const pruned = pruneLockfile(lock);
  assert.equal(pruned.workspace?.packageJson, undefined);
  assert.deepEqual(pruned.workspace?.dependencies, lock.workspace.dependencies);
  assert.ok(!Object.keys(pruned.specifiers ?? {}).some((s) => s.startsWith("npm:deno@")));
  const kept = Object.keys(pruned.npm ?? {});
  assert.ok(!kept.some((k) => k.startsWith("deno@") || k.startsWith("@deno/")), kept.join());
  for (const key of kept) assert.deepEqual(pruned.npm?.[key], lock.npm[key]);
  // Every dependency of pgop's own imports stays (transitively).
  assert.ok(kept.includes("yaml@2.9.1") && kept.some((k) => k.startsWith("@peculiar/asn1-")));
  assert.ok(npmDirs(pruned).includes("@kubernetes/client-node/2.0.1"));
});

Deno.test("pruneLockfile() follows name@version and aliased dependencies", () => {
  const pruned = pruneLockfile({
    version: "5",
    specifiers: { "npm:a@1": "1.0.0", "npm:t@2": "2.0.0" },
    npm: {
      "a@1.0.0": { dependencies: ["b@2.0.0", "c"] },
      "b@1.0.0": {},
      "b@2.0.0": { optionalDependencies: ["x@npm:d@1.0.0"] },
      "c@1.0.0": {},
      "d@1.0.0": {},
      "t@2.0.0": { dependencies: ["b@1.0.0"] },
    },
    workspace: { dependencies: ["npm:a@1"], packageJson: { dependencies: ["npm:t@2"] } },
  });
  assert.deepEqual(Object.keys(pruned.npm ?? {}).sort(), [
    "a@1.0.0",
    "b@2.0.0",
    "c@1.0.0",
    "d@1.0.0",
  ]);
  assert.deepEqual(pruned.specifiers, { "npm:a@1": "1.0.0" });
  assert.deepEqual(npmDirs(pruned), ["a/1.0.0", "b/2.0.0", "c/1.0.0", "d/1.0.0"]);
});
