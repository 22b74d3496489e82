/**
 * How pgop's process is started, in one place for every launcher of main.ts
 * (tests, benchmarks, `deno task cluster run`). `deno task pgop` (deno.json)
 * and the Dockerfile's `deno compile` say the same; pgop_runtime_test.ts
 * checks that they do.
 *
 * @module
 */
import { LIBC_PATHS } from "../../lib/malloc_trim.ts";

/**
 * V8 flags pgop runs with. V8 lets each of the young generation's semi-spaces
 * grow to 16 MiB on 64-bit machines: pgop's allocation bursts (a list of
 * 10,000 objects, a burst of reconciles) would keep ~50 MB of heap committed
 * for objects that die young. At 2 MiB the heap stays within a few MB of
 * what is live; scavenges are more frequent and each is shorter (bench/README.md
 * has the measurement).
 */
export const PGOP_V8_FLAGS = "--max-semi-space-size=2";

/**
 * The permissions of `deno task pgop`. FFI to libc only serves the trimming
 * of malloc's freed memory (lib/malloc_trim.ts says what it gains and costs).
 */
export const PGOP_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-env",
  "--allow-sys",
  `--allow-ffi=${LIBC_PATHS.join(",")}`,
];

/** `deno run` flags before main.ts: the V8 flags and `permissions`. */
export function pgopRunFlags(permissions: readonly string[] = PGOP_PERMISSIONS): string[] {
  return [`--v8-flags=${PGOP_V8_FLAGS}`, ...permissions];
}
