/**
 * Follows the load test's Databases to Ready with one watch (never polling):
 * list once, then watch from the list's resourceVersion, and record for each
 * Database when it first had a status (≈ its first reconcile ended) and when
 * it first had phase Ready.
 *
 * @module
 */
import { Resources } from "../../lib/kube/resource.ts";
import type { KubeClient } from "../../lib/kube/types.ts";
import type { Database } from "../../lib/database/types.ts";
import { type Change, listWatch, type ListWatchCounts } from "./list_watch.ts";

/** When one Database was first seen with a status and with phase Ready (tracker clock, ms). */
export interface Milestones {
  firstStatusMs?: number;
  readyMs?: number;
}

/** Options of {@link ReadyTracker}. */
export interface ReadyTrackerOptions {
  /** Selects the run's Databases. */
  readonly labelSelector: string;
  /** Clock of the milestones, in ms; default `performance.now()`. */
  readonly now?: () => number;
}

/** Counts so far. */
export interface TrackerCounts {
  readonly seen: number;
  readonly firstStatus: number;
  readonly ready: number;
}

/**
 * A list-then-watch follower of Databases (see `list_watch.ts` for how the
 * watch is kept). A milestone is recorded once, at the first event that shows it.
 */
export class ReadyTracker {
  readonly #client: KubeClient;
  readonly #options: ReadyTrackerOptions;
  readonly #now: () => number;
  readonly #milestones = new Map<string, Milestones>();
  readonly #requests: ListWatchCounts = { lists: 0, watches: 0 };
  #firstStatus = 0;
  #ready = 0;
  #waiters: { n: number; resolve: () => void }[] = [];

  /** Does no I/O. */
  constructor(client: KubeClient, options: ReadyTrackerOptions) {
    this.#client = client;
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Counts of Databases seen, with a status, and Ready. */
  get counts(): TrackerCounts {
    return { seen: this.#milestones.size, firstStatus: this.#firstStatus, ready: this.#ready };
  }

  /** The tracker's own requests: lists made and watches opened. */
  get requests(): Readonly<ListWatchCounts> {
    return { ...this.#requests };
  }

  /** Milestones by `namespace/name`. */
  milestones(): ReadonlyMap<string, Readonly<Milestones>> {
    return this.#milestones;
  }

  /** Resolves once at least `n` Databases have been Ready. */
  whenReady(n: number): Promise<void> {
    if (this.#ready >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  /** Lists, calls `onListed`, then watches until `signal` aborts (resolving then). */
  run(signal: AbortSignal, onListed?: () => void): Promise<void> {
    return listWatch<Database>(
      this.#client,
      Resources.databases,
      (change) => this.#observe(change),
      signal,
      { labelSelector: this.#options.labelSelector, onListed },
      this.#requests,
    );
  }

  #observe(change: Change<Database>): void {
    if (change.type === "DELETED") return;
    const db = change.object;
    const key = `${db.metadata?.namespace}/${db.metadata?.name}`;
    let m = this.#milestones.get(key);
    if (!m) this.#milestones.set(key, m = {});
    const status = db.status;
    if (m.firstStatusMs === undefined && status && Object.keys(status).length > 0) {
      m.firstStatusMs = this.#now();
      this.#firstStatus++;
    }
    if (m.readyMs === undefined && status?.phase === "Ready") {
      m.readyMs = this.#now();
      this.#ready++;
      this.#waiters = this.#waiters.filter((w) => {
        if (this.#ready < w.n) return true;
        w.resolve();
        return false;
      });
    }
  }
}
