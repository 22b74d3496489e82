/**
 * API requests counted by verb and resource: from a REST client's request
 * hook (in-process pgop, the floor, the load tool itself) or from pgop's
 * `rest_client_requests_total` (pgop as a child process).
 *
 * @module
 */
import { type Sample, sumSamples } from "../../tests/support/prometheus_text.ts";

/** Counts keyed `"<verb> <resource>"`, e.g. `"create secrets"`, `"apply databases.database.example.com"`. */
export type RequestCounts = Readonly<Record<string, number>>;

/** Verbs that change state. */
export const WRITE_VERBS: ReadonlySet<string> = new Set([
  "create",
  "update",
  "patch",
  "apply",
  "delete",
  "deletecollection",
]);
/** Verbs that read (a watch is counted apart: it is one long request, not a poll). */
export const READ_VERBS: ReadonlySet<string> = new Set(["get", "list"]);

/** Totals of a {@link RequestCounts} by kind of verb. */
export interface RequestTotals {
  readonly total: number;
  readonly writes: number;
  readonly reads: number;
  /** Watch requests opened (initial ones and re-opens). */
  readonly watches: number;
}

/** A mutable tally; pass {@link record} as (part of) a REST client's `onRequest` hook. */
export class RequestCounter {
  readonly #counts = new Map<string, number>();

  /** Counts one request (one attempt: retries count again, as on the API server). */
  record(verb: string, resource: string): void {
    const key = `${verb} ${resource}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** A copy of the counts so far. */
  snapshot(): RequestCounts {
    return Object.fromEntries(this.#counts);
  }

  /** Every request so far. */
  get total(): number {
    let n = 0;
    for (const v of this.#counts.values()) n += v;
    return n;
  }
}

/** `after - before` per key, dropping keys whose difference is 0. */
export function diffCounts(after: RequestCounts, before: RequestCounts): RequestCounts {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const d = value - (before[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

/** Totals by kind of verb. */
export function totals(counts: RequestCounts): RequestTotals {
  let total = 0, writes = 0, reads = 0, watches = 0;
  for (const [key, n] of Object.entries(counts)) {
    const verb = key.slice(0, key.indexOf(" "));
    total += n;
    if (WRITE_VERBS.has(verb)) writes += n;
    else if (READ_VERBS.has(verb)) reads += n;
    else if (verb === "watch") watches += n;
  }
  return { total, writes, reads, watches };
}

/**
 * Counts from pgop's `rest_client_requests_total{code, method, resource}`
 * (its `method` label holds the verb), summed over codes.
 */
export function countsFromMetrics(samples: readonly Sample[]): RequestCounts {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== "rest_client_requests_total") continue;
    const key = `${s.labels.method ?? "?"} ${s.labels.resource ?? "?"}`;
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/** Total of `rest_client_requests_total`. */
export function totalFromMetrics(samples: readonly Sample[]): number {
  return sumSamples(samples, "rest_client_requests_total");
}
