import assert from "node:assert/strict";
import {
  LIBC_PATHS,
  MALLOC_TRIM_INTERVAL_MS,
  openMallocTrim,
  startMallocTrim,
} from "./malloc_trim.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";

Deno.test("openMallocTrim says why when no candidate opens", () => {
  const result = openMallocTrim(["/nonexistent/libc.so.6"]);
  assert.ok("reason" in result);
  const expected = Deno.build.os === "linux" ? /\/nonexistent\/libc\.so\.6/ : /not on Linux/;
  assert.match(result.reason, expected);
});

Deno.test({
  name: "openMallocTrim finds this machine's glibc and trims",
  ignore: Deno.build.os !== "linux",
  fn() {
    const exists = (path: string) => {
      try {
        return Deno.statSync(path).isFile;
      } catch {
        return false;
      }
    };
    assert.ok(LIBC_PATHS.some(exists), "this machine's glibc is in LIBC_PATHS");
    const opened = openMallocTrim();
    if ("reason" in opened) assert.fail(opened.reason);
    using malloc = opened;
    // Garbage on the native heap: freed, then trimmed without error.
    for (let i = 0; i < 100; i++) new TextEncoder().encode("x".repeat(100_000));
    assert.equal(typeof malloc.trim(), "boolean");
  },
});

Deno.test("startMallocTrim trims every interval until its signal aborts", async () => {
  const clock = new FakeClock();
  const stop = new AbortController();
  let calls = 0;
  startMallocTrim({ trim: () => calls++, signal: stop.signal, clock });
  await clock.advance(MALLOC_TRIM_INTERVAL_MS - 1);
  assert.equal(calls, 0);
  await clock.advance(1);
  assert.equal(calls, 1);
  await clock.advance(MALLOC_TRIM_INTERVAL_MS);
  assert.equal(calls, 2);
  stop.abort();
  await clock.advance(3 * MALLOC_TRIM_INTERVAL_MS);
  assert.equal(calls, 2);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("startMallocTrim does nothing once its signal has aborted", async () => {
  const clock = new FakeClock();
  let calls = 0;
  startMallocTrim({ trim: () => calls++, signal: AbortSignal.abort(), clock });
  await clock.advance(2 * MALLOC_TRIM_INTERVAL_MS);
  assert.equal(calls, 0);
});
