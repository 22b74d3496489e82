/**
 * The flags of the Dockerfile's `deno compile`, for the tests that check the
 * image's sandbox (the Dockerfile cannot be built on these machines).
 *
 * @module
 */

const DOCKERFILE = new URL("../../Dockerfile", import.meta.url);

/** Every `--…` flag of `RUN deno compile`, unquoted, in order. */
export async function dockerfileFlags(): Promise<string[]> {
  const text = await Deno.readTextFile(DOCKERFILE);
  const compile = /RUN deno compile((?:[^\n]*\\\n)*[^\n]*)/.exec(text)?.[1] ?? "";
  return (compile.match(/"--[^"]+"|--[^\s\\]+/g) ?? []).map((f) => f.replace(/^"|"$/g, ""));
}

/** The `--allow-*` flags of the Dockerfile's `deno compile`. */
export async function dockerfilePermissions(): Promise<string[]> {
  return (await dockerfileFlags()).filter((f) => f.startsWith("--allow-"));
}
