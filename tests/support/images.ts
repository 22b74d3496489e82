/**
 * The local container images of real nodes (building them on first use): runs
 * `cluster/images/build.sh`, which builds docker-archive tars from Debian
 * packages and a static C program into a cache outside the repository, keyed
 * by version and recipe, and prints each image's ref and tar. Nothing is ever
 * pulled from a registry: nodes import these tars.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const buildScript = fileURLToPath(new URL("../../cluster/images/build.sh", import.meta.url));
const pgopScript = fileURLToPath(new URL("../../cluster/images/pgop.sh", import.meta.url));

/** The sandbox ("pause") image every pod's namespaces hang on: a static program that waits. */
export const PAUSE_IMAGE = "pgop.local/pause:1";
/**
 * PostgreSQL 15 from Debian's packages with the official image's environment
 * contract (`POSTGRES_USER`, `POSTGRES_PASSWORD`, `POSTGRES_DB`, `PGDATA`).
 * Not the official `postgres` image, hence the local name.
 */
export const POSTGRES_IMAGE = "pgop.local/postgres:15";
/** Debian's `psql` 15 as uid 999, with `psql` as entrypoint: for client pods in tests. */
export const PSQL_IMAGE = "pgop.local/psql:15";

/** One image: the ref pods use, and the docker-archive tar nodes import. */
export interface LocalImage {
  readonly ref: string;
  readonly tar: string;
}

/** The three local images. */
export interface LocalImages {
  readonly pause: LocalImage;
  readonly postgres: LocalImage;
  readonly psql: LocalImage;
}

/** Building an image failed; the build's own output went to stderr. */
export class ImageBuildError extends Error {
  override readonly name = "ImageBuildError";
}

let cached: Promise<LocalImages> | undefined;

/**
 * Builds the images if needed (as root: debootstrap; about 1-4 minutes cold,
 * progress on stderr) and returns their refs and tars. Concurrent callers,
 * also in other processes, share one build (the script takes a lock).
 * @throws {ImageBuildError} when the build fails
 */
export function ensureImages(): Promise<LocalImages> {
  cached ??= build().catch((error) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

/**
 * pgop's own image, `pgop.local/pgop:<hash of what it is made of>` (see
 * pgop_image.ts and cluster/images/pgop.sh), built if needed (seconds; not
 * root). Not among the images every node imports: a test that runs pgop in
 * a pod imports it (`cluster.realNodes.importImage`).
 * @throws {ImageBuildError} when the build fails
 */
export async function ensurePgopImage(): Promise<LocalImage> {
  const image = (await runBuild(pgopScript)).get("pgop");
  if (!image?.ref.startsWith("pgop.local/pgop:")) {
    throw new ImageBuildError(`${pgopScript} did not report image pgop`);
  }
  return image;
}

async function runBuild(script: string): Promise<Map<string, LocalImage>> {
  const out = await new Deno.Command("bash", {
    args: [script],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new ImageBuildError(`Building the images failed (bash ${script}); see above`);
  }
  const images = new Map<string, LocalImage>();
  for (const line of new TextDecoder().decode(out.stdout).trim().split("\n")) {
    const [name, ref, tar] = line.split(" ");
    if (name && ref && tar) images.set(name, { ref, tar });
  }
  return images;
}

async function build(): Promise<LocalImages> {
  const images = await runBuild(buildScript);
  const get = (name: string, ref: string): LocalImage => {
    const image = images.get(name);
    if (image?.ref !== ref) {
      throw new ImageBuildError(`${buildScript} did not report image ${name} as ${ref}`);
    }
    return image;
  };
  return {
    pause: get("pause", PAUSE_IMAGE),
    postgres: get("postgres", POSTGRES_IMAGE),
    psql: get("psql", PSQL_IMAGE),
  };
}
