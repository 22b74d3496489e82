/**
 * Gives memory that glibc's malloc has freed back to the kernel.
 *
 * Deno's native side (V8's compiler zones and array buffers, HTTP and TLS
 * buffers) allocates through glibc. After a burst such as the first lists of
 * 10,000 Databases, malloc's heap holds free pages between live chunks;
 * `free()` returns only the top of the heap, so they stay resident. glibc's
 * `malloc_trim(0)` releases every whole free page wherever it lies. Measured
 * on pgop with 10,000 Databases cached, 40 s after start: malloc's heap went
 * from 14 to 7 MiB resident and its idle thread arenas from 7 to 3 MiB, RSS
 * from 131.5 to 120 MB (bench/README.md).
 *
 * The call goes through FFI and needs `--allow-ffi` for libc's path (see
 * {@link LIBC_PATHS}). Loading libc this way gives the process all that libc
 * can do, which Deno's sandbox otherwise forbids; deno.json and the Dockerfile
 * grant it, and README.md says how to run without it. Without that
 * permission, on another OS, or with another C library, pgop runs as before
 * and says why at debug level.
 *
 * @module
 */
import { type Clock, realClock } from "./clock.ts";

/**
 * How often malloc is trimmed. V8 frees native memory after its own
 * collections, which go on for a while after a burst, so a rare trim leaves
 * the heap grown between trims (at 10 s: 13-15 MB resident 8 s after a trim,
 * 7 MB 1 s after). A trim costs 0.02 ms when there is nothing to give back
 * and 0.2 ms after 10 MB of frees, so every 2 s is cheap.
 */
export const MALLOC_TRIM_INTERVAL_MS = 2_000;

/**
 * Where glibc lives: Debian and Ubuntu (also distroless) on x86-64 and ARM64,
 * and Fedora/RHEL-like systems. The flag `--allow-ffi=` takes these paths.
 */
export const LIBC_PATHS: readonly string[] = [
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/lib64/libc.so.6",
];

/** glibc's `malloc_trim`, opened through FFI; disposing of it closes the library. */
export interface MallocTrim extends Disposable {
  /** Calls `malloc_trim(0)`; true when memory was given back. */
  trim(): boolean;
}

/** Why {@link openMallocTrim} found no `malloc_trim`. */
export type Unavailable = { readonly reason: string };

/**
 * `malloc_trim` from the first of `candidates` that FFI is allowed to open,
 * or why there is none.
 */
export function openMallocTrim(
  candidates: readonly string[] = LIBC_PATHS,
): MallocTrim | Unavailable {
  if (Deno.build.os !== "linux") return { reason: `not on Linux (${Deno.build.os})` };
  const errors: string[] = [];
  for (const path of candidates) {
    // Only paths already granted are tried, so this never prompts.
    if (Deno.permissions.querySync({ name: "ffi", path }).state !== "granted") continue;
    try {
      const lib = Deno.dlopen(path, {
        malloc_trim: { parameters: ["usize"], result: "i32" },
      });
      return {
        trim: () => lib.symbols.malloc_trim(0n) === 1,
        [Symbol.dispose]: () => lib.close(),
      };
    } catch (error) {
      errors.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return {
    reason: errors.length > 0
      ? errors.join("; ")
      : `no FFI permission for any of ${candidates.join(", ")}`,
  };
}

/** Options of {@link startMallocTrim}. */
export interface MallocTrimOptions {
  readonly trim: () => unknown;
  readonly signal: AbortSignal;
  readonly intervalMs?: number;
  readonly clock?: Clock;
}

/** Trims every `intervalMs` until `signal` aborts. */
export function startMallocTrim(options: MallocTrimOptions): void {
  const { trim, signal, intervalMs = MALLOC_TRIM_INTERVAL_MS, clock = realClock } = options;
  if (signal.aborted) return;
  let timer = clock.setTimer(function tick() {
    trim();
    if (!signal.aborted) timer = clock.setTimer(tick, intervalMs);
  }, intervalMs);
  signal.addEventListener("abort", () => timer.cancel(), { once: true });
}
