/**
 * The local pgop image's recipe, beside the Dockerfile's: `deno run` of
 * main.ts from the pinned Deno runtime, with the dependencies deno.lock pins
 * cached under `DENO_DIR`, and exactly the permissions and V8 flags the
 * Dockerfile compiles in (both from pgop_runtime.ts). cluster/images/pgop.sh
 * asks this module for the image's config and for the pruned lockfile:
 *
 * ```sh
 * deno run --allow-read --allow-write tests/support/pgop_image.ts config
 * deno run --allow-read --allow-write tests/support/pgop_image.ts prune-lock IN OUT
 * deno run --allow-read --allow-write tests/support/pgop_image.ts npm-dirs LOCK
 * ```
 *
 * @module
 */
import { IN_CLUSTER, pgopPermissions, pgopRunFlags } from "./pgop_runtime.ts";

/** Where pgop's code lives in the image (main.ts, lib/, deno.json, deno.lock). */
export const IMAGE_APP_DIR = "/app";
/** The image's Deno cache: the npm packages of deno.lock, read-only at run time. */
export const IMAGE_DENO_DIR = "/deno-dir";
/** The Deno runtime in the image. */
export const IMAGE_DENO = "/usr/local/bin/deno";
/** The image's user and group, as in the Dockerfile's distroless `nonroot`. */
export const IMAGE_UID = 65532;

/**
 * The image's entrypoint: nothing fetched (`--cached-only`), the lockfile
 * held (`--frozen`), no prompt, then the V8 flags and permissions of the
 * Dockerfile's `deno compile` and main.ts.
 */
export function imageEntrypoint(): string[] {
  return [
    IMAGE_DENO,
    "run",
    "--frozen",
    "--cached-only",
    "--no-prompt",
    `--config=${IMAGE_APP_DIR}/deno.json`,
    ...pgopRunFlags(pgopPermissions(IN_CLUSTER)),
    `${IMAGE_APP_DIR}/main.ts`,
  ];
}

/** The image config object (docker-archive `config`): user, environment, entrypoint. */
export function imageConfig(): Record<string, unknown> {
  return {
    User: `${IMAGE_UID}:${IMAGE_UID}`,
    Env: [
      `DENO_DIR=${IMAGE_DENO_DIR}`,
      // Nothing leaves the pod: no update check (it would be a request to the internet).
      "DENO_NO_UPDATE_CHECK=1",
      "PATH=/usr/local/bin",
    ],
    Entrypoint: imageEntrypoint(),
    WorkingDir: IMAGE_APP_DIR,
    ExposedPorts: { "8443/tcp": {}, "8081/tcp": {} },
  };
}

interface Lockfile {
  version: string;
  specifiers?: Record<string, string>;
  npm?: Record<string, { dependencies?: string[]; optionalDependencies?: string[] }>;
  workspace?: { dependencies?: string[]; packageJson?: unknown };
  [key: string]: unknown;
}

/**
 * deno.lock without what package.json adds (the Deno runtime's own npm
 * package, which pins the toolchain and is not one of pgop's dependencies):
 * the workspace's `packageJson`, the specifiers only it used, and the npm
 * packages no longer reachable from what remains. Exactly what Deno itself
 * writes when package.json is absent, so `--frozen` holds.
 */
export function pruneLockfile(lock: Lockfile): Lockfile {
  const { packageJson: _dropped, ...workspace } = lock.workspace ?? {};
  const roots = new Set(workspace.dependencies ?? []);
  const specifiers = Object.fromEntries(
    Object.entries(lock.specifiers ?? {}).filter(([s]) => roots.has(s)),
  );
  const npm = lock.npm ?? {};
  // A dependency is `name` when the lock holds one version of it, else `name@version`.
  const byName = new Map<string, string>();
  for (const key of Object.keys(npm)) byName.set(npmName(key), key);
  const keep = new Set<string>();
  const visit = (dep: string) => {
    const key = dep in npm ? dep : byName.get(dep);
    if (key === undefined || keep.has(key)) return;
    keep.add(key);
    const { dependencies = [], optionalDependencies = [] } = npm[key];
    for (const d of [...dependencies, ...optionalDependencies]) visit(npmKey(d));
  };
  for (const [specifier, version] of Object.entries(specifiers)) {
    if (specifier.startsWith("npm:")) visit(`${npmName(specifier.slice(4))}@${version}`);
  }
  return {
    ...lock,
    specifiers,
    npm: Object.fromEntries(Object.entries(npm).filter(([k]) => keep.has(k))),
    workspace,
  };
}

/** The name of `name@range` (scoped names start with `@`). */
function npmName(spec: string): string {
  const at = spec.indexOf("@", 1);
  return at < 0 ? spec : spec.slice(0, at);
}

/** A dependency entry (`name@version`, or `alias@npm:name@version`) as a key of `npm`. */
function npmKey(dep: string): string {
  const alias = dep.indexOf("@npm:");
  return alias < 0 ? dep : dep.slice(alias + 5);
}

/**
 * The npm cache directories (`name/version`, relative to the registry's
 * folder) of every package in `lock`: what the image's DENO_DIR holds.
 */
export function npmDirs(lock: Lockfile): string[] {
  const dirs = new Set<string>();
  for (const key of Object.keys(lock.npm ?? {})) {
    // `name@version_peer@x`: Deno caches one copy per name and version.
    const base = key.split("_")[0];
    const name = npmName(base);
    dirs.add(`${name}/${base.slice(name.length + 1)}`);
  }
  return [...dirs].sort();
}

if (import.meta.main) {
  const [command, ...args] = Deno.args;
  const readLock = async (path: string) => JSON.parse(await Deno.readTextFile(path)) as Lockfile;
  if (command === "config") {
    console.log(JSON.stringify(imageConfig()));
  } else if (command === "prune-lock" && args.length === 2) {
    const pruned = pruneLockfile(await readLock(args[0]));
    await Deno.writeTextFile(args[1], `${JSON.stringify(pruned, null, 2)}\n`);
  } else if (command === "npm-dirs" && args.length === 1) {
    console.log(npmDirs(await readLock(args[0])).join("\n"));
  } else {
    console.error("usage: pgop_image.ts config | prune-lock IN OUT | npm-dirs LOCK");
    Deno.exit(2);
  }
}
