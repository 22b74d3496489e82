/**
 * The manager (controller-runtime's `manager.Manager`): runs the caches on
 * every replica, waits for them to sync, and runs the controllers — directly,
 * or only while this replica holds the leader Lease. Standbys keep their
 * caches warm, so a new leader starts reconciling without a cold list.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";

const log = getLogger(["pgop", "manager"]);

/** A cache that the manager runs and waits for. */
export interface Cache {
  readonly resource: string;
  readonly hasSynced: boolean;
  run(signal: AbortSignal): Promise<void>;
  waitForSync(signal?: AbortSignal, timeoutMs?: number): Promise<void>;
}

/** Something that runs only on the leader until its signal aborts. */
export interface LeaderRunnable {
  /**
   * Runs until `signal` aborts. `drainMs()` says, at that moment, how long
   * in-flight work may still take (0 when leadership was lost: stop writing).
   */
  run(signal: AbortSignal, options: { drainMs: () => number }): Promise<void>;
}

/** Leader election as the manager sees it (see `lib/leader/leader_elector.ts`). */
export interface Election {
  /**
   * Campaigns until elected, calls `lead` with a signal that aborts when
   * leadership ends, and resolves after `lead` settled and the lease was
   * released or lost. Resolves at once when `signal` aborts.
   */
  campaign(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>): Promise<void>;
}

/** Options of {@link Manager}. */
export interface ManagerOptions {
  readonly caches: readonly Cache[];
  /** Builds the controllers for one term of leadership (a controller runs once). */
  readonly controllers: () => readonly LeaderRunnable[];
  /** Absent: no leader election, controllers run at once. */
  readonly election?: Election;
  readonly syncTimeoutMs: number;
  /** Time in-flight reconciles get on a graceful stop. */
  readonly drainMs: number;
  /** Told when every cache has synced (readiness). */
  readonly onSynced?: () => void;
}

/** Runs caches, then controllers (on the leader only when election is on). */
export class Manager {
  readonly #options: ManagerOptions;

  /** Does no I/O. */
  constructor(options: ManagerOptions) {
    this.#options = options;
  }

  /** True once every cache has synced. */
  get synced(): boolean {
    return this.#options.caches.every((c) => c.hasSynced);
  }

  /**
   * Runs until `signal` aborts, then stops controllers (draining in-flight
   * reconciles), releases leadership and stops the caches.
   * @throws {CacheSyncTimeoutError} when the caches do not sync in time
   */
  async run(signal: AbortSignal): Promise<void> {
    const cachesStop = new AbortController();
    const caches = this.#options.caches.map((c) =>
      c.run(cachesStop.signal).catch((error) => {
        log.error("Cache {resource} stopped with an error", { resource: c.resource, error });
        throw error;
      })
    );
    try {
      const started = performance.now();
      await Promise.all(
        this.#options.caches.map((c) => c.waitForSync(signal, this.#options.syncTimeoutMs)),
      );
      log.info("Caches synced in {ms} ms", {
        ms: Math.round(performance.now() - started),
        resources: this.#options.caches.map((c) => c.resource),
      });
      this.#options.onSynced?.();
      await this.#runControllers(signal);
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      log.debug("Controllers stopped; stopping the caches");
      cachesStop.abort();
      await Promise.allSettled(caches);
      log.debug("Caches stopped");
    }
  }

  async #runControllers(signal: AbortSignal): Promise<void> {
    const lead = async (leading: AbortSignal) => {
      // Graceful stop (our own signal): let in-flight reconciles finish.
      // Lost leadership: abort them now, another replica is taking over.
      const drainMs = () => (signal.aborted ? this.#options.drainMs : 0);
      await Promise.all(this.#options.controllers().map((c) => c.run(leading, { drainMs })));
    };
    const { election } = this.#options;
    if (!election) return await lead(signal);
    while (!signal.aborted) {
      await election.campaign(signal, lead);
      if (!signal.aborted) log.warn("Leadership lost; standing by with warm caches");
    }
  }
}
