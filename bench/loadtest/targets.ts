/**
 * The per-run targets, checked against one run's figures.
 *
 * @module
 */
import type { RequestTotals } from "./request_counts.ts";

/** A target of the issue and whether this run met it (undefined: not measured). */
export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly value: number | undefined;
  readonly met: boolean | undefined;
}

/**
 * The most writes a Database may cost: 7 children, its pod's role label, and
 * up to 4 status writes (Creating; the pod appears, not ready; it is ready;
 * Ready), which the debounce often merges.
 */
export const MAX_WRITES_PER_DATABASE = 12;

/**
 * Writes per Database at most {@link MAX_WRITES_PER_DATABASE}; no write and no
 * read in the steady-state window. Not measured when the requests are unknown
 * (`measured` false) or there was no window (`steadySeconds` 0).
 */
export function runTargets(
  measured: boolean,
  writesPerDatabase: number,
  steady: RequestTotals,
  steadySeconds: number,
): TargetCheck[] {
  const inWindow = measured && steadySeconds > 0;
  const check = (on: boolean, value: number, ok: boolean) =>
    on ? { value, met: ok } : { value: undefined, met: undefined };
  return [
    {
      name: "writes per Database",
      target: `<= ${MAX_WRITES_PER_DATABASE}`,
      ...check(measured, writesPerDatabase, writesPerDatabase <= MAX_WRITES_PER_DATABASE),
    },
    {
      name: "writes in the steady-state window",
      target: "0",
      ...check(inWindow, steady.writes, steady.writes === 0),
    },
    {
      name: "reads in the steady-state window",
      target: "0",
      ...check(inWindow, steady.reads, steady.reads === 0),
    },
  ];
}
