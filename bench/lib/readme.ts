/**
 * Helpers shared by the benchmarks: a note on the machine, and replacing one
 * marked section of bench/README.md so that each benchmark updates only its own
 * table.
 *
 * @module
 */
import os from "node:os";

/** "2 cores, 23 GiB, Deno 2.9.6, Linux x86_64". */
export function machineNote(): Promise<string> {
  const gib = Math.round(os.totalmem() / 2 ** 30);
  return Promise.resolve(
    `${navigator.hardwareConcurrency} cores, ${gib} GiB, Deno ${Deno.version.deno}, ${Deno.build.os} ${Deno.build.arch}`,
  );
}

/**
 * Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in
 * `path` (appending a new section at the end when the markers are missing).
 */
export async function replaceSection(path: string, name: string, body: string): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch {
    text = "# Benchmarks\n";
  }
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i
    ? text.slice(0, i) + block + text.slice(j + end.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  await Deno.writeTextFile(path, text);
}
