/**
 * Waiting for a component of the local control plane to serve, failing at
 * once (with its log) when it exits instead.
 *
 * @module
 */
import type { Component } from "./process.ts";

/**
 * Polls `ready` every 100 ms until it resolves true (a rejection counts as not
 * yet); throws with the component's log tail when it exits or `timeoutMs` passes.
 */
export async function waitForComponent(
  what: string,
  component: Component | undefined,
  ready: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (component?.exited) {
      throw new Error(
        `${component.name} exited (${component.exited.code}) while waiting for ${what}:\n${await component
          .tail()}`,
      );
    }
    try {
      if (await ready()) return;
    } catch {
      // Not up yet.
    }
    if (performance.now() > deadline) {
      const tail = component ? `\n${component.name} log:\n${await component.tail()}` : "";
      throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${what}${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
