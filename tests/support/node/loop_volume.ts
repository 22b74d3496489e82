/**
 * A volume for a real node: a sparse file with a fresh ext4, loop-mounted
 * under the cluster directory. ext4 (unlike a hostPath directory) lets the
 * kubelet apply a pod's fsGroup, which PostgreSQL's restricted pod needs.
 *
 * @module
 */
import { join } from "node:path";
import { run, tryRun } from "./host_command.ts";

/** Where volume `name` lives below `dir`: the image file and its mount point. */
export function volumePaths(dir: string, name: string): { file: string; mount: string } {
  return { file: join(dir, `${name}.ext4`), mount: join(dir, name) };
}

/** Creates a `bytes`-sized ext4 image (sparse) and mounts it; returns the mount point. */
export async function createVolume(dir: string, name: string, bytes: bigint): Promise<string> {
  const { file, mount } = volumePaths(dir, name);
  await Deno.mkdir(mount, { recursive: true });
  const handle = await Deno.open(file, { write: true, createNew: true });
  try {
    await handle.truncate(Number(bytes));
  } finally {
    handle.close();
  }
  // -m 0: no blocks reserved for root, the pod runs as another user; the lazy
  // init options keep mkfs from writing the whole table up front.
  await run("mkfs.ext4", [
    "-q",
    "-F",
    "-m",
    "0",
    "-E",
    "lazy_itable_init=1,lazy_journal_init=1",
    file,
  ]);
  await run("mount", ["-o", "loop", file, mount]);
  return mount;
}

/** Grows a mounted volume to `bytes` (ext4 grows online). */
export async function growVolume(dir: string, name: string, bytes: bigint): Promise<void> {
  const { file, mount } = volumePaths(dir, name);
  const handle = await Deno.open(file, { write: true });
  try {
    await handle.truncate(Number(bytes));
  } finally {
    handle.close();
  }
  const device = (await run("findmnt", ["--noheadings", "--output", "SOURCE", "--target", mount]))
    .trim();
  await run("losetup", ["--set-capacity", device]);
  await run("resize2fs", [device]);
}

/** Unmounts and deletes a volume; returns a failure, if any. */
export async function removeVolume(dir: string, name: string): Promise<string | undefined> {
  const { file, mount } = volumePaths(dir, name);
  const problem = await tryRun("umount", [mount]);
  if (problem && !problem.includes("not mounted") && !problem.includes("no mount point")) {
    return problem;
  }
  await Deno.remove(mount).catch(() => {});
  await Deno.remove(file).catch(() => {});
  return undefined;
}
