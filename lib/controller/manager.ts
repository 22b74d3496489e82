/**
 * The manager (controller-runtime's `manager.Manager`): the one owner of every
 * long-lived part of pgop and of its lifecycle. It starts, in this order,
 *
 * 1. the runnables added with {@link Manager.add} (HTTP servers, probes), on every replica;
 * 2. the caches made with {@link Manager.cache}, on every replica, and waits for them to sync;
 * 3. the controllers added with {@link Manager.addController}: at once, or, with an
 *    {@link Election}, only while this replica leads;
 *
 * and stops them in reverse order when its signal aborts or a part fails:
 * controllers first (in-flight reconciles drain), then leadership is released,
 * then the caches, then the servers. Standbys keep their caches warm, so a new
 * leader starts reconciling without a cold list.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Clock, realClock } from "../clock.ts";
import {
  type CacheMetricsProvider,
  type CacheOptions,
  newInformer,
} from "../cache/informer_factory.ts";
import type { InformerLike } from "../cache/multi_namespace_informer.ts";
import type { Resource } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";

const log = getLogger(["pgop", "manager"]);

/**
 * How long the manager waits for its servers to stop. In-flight scrapes
 * finish; a client that keeps its connection busy must not hold up the exit.
 */
export const SERVER_STOP_MS = 2_000;

/** A long-lived part: runs until `signal` aborts (it may also end sooner). */
export interface Runnable {
  run(signal: AbortSignal): Promise<void>;
}

/** Something that runs only on the leader until its signal aborts. */
export interface LeaderRunnable {
  /**
   * Runs until `signal` aborts. `drainMs()` says, at that moment, how long
   * in-flight work may still take (0 when leadership was lost: stop writing).
   */
  run(signal: AbortSignal, options: { drainMs: () => number }): Promise<void>;
}

/** Leader election as the manager sees it; `LeaderElector` is one. */
export interface Election {
  /**
   * Campaigns until elected, calls `lead` with a signal that aborts when
   * leadership ends, and resolves after `lead` settled and the lease was
   * released or lost. Resolves at once when `signal` aborts.
   */
  run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>): Promise<void>;
}

/** Options of {@link Manager}. */
export interface ManagerOptions {
  /** The client the caches list and watch with. */
  readonly client: KubeClient;
  /** The namespaces to cache, each with watches of its own; empty: all. */
  readonly namespaces?: readonly string[];
  /** Where the caches report. */
  readonly metrics?: CacheMetricsProvider;
  /** Absent: no leader election, controllers run at once. */
  readonly election?: Election;
  readonly syncTimeoutMs: number;
  /** Time in-flight reconciles get on a graceful stop. */
  readonly drainMs: number;
  readonly clock?: Clock;
}

/** A group of parts started together and stopped together. */
interface Started {
  readonly name: string;
  readonly stop: AbortController;
  readonly done: Promise<unknown>;
  /** Longest wait for the group to stop; undefined: as long as it takes. */
  readonly boundMs?: number;
}

/** Owns caches, controllers, leader election and servers, with one lifecycle. */
export class Manager {
  readonly #o: ManagerOptions;
  readonly #clock: Clock;
  readonly #runnables: Runnable[] = [];
  readonly #caches: InformerLike<KubeObject>[] = [];
  readonly #controllers: Array<() => LeaderRunnable> = [];
  #running = false;

  /** Does no I/O. */
  constructor(options: ManagerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
  }

  /** True once every cache has synced (readiness). */
  get synced(): boolean {
    return this.#caches.every((c) => c.hasSynced);
  }

  /**
   * A new cache of `resource` as `options` declares it, run and synced by the
   * manager before any controller starts.
   */
  cache<T extends KubeObject>(resource: Resource, options: CacheOptions<T> = {}): InformerLike<T> {
    this.#assertNotRunning();
    const informer = newInformer<T>(
      {
        client: this.#o.client,
        namespaces: this.#o.namespaces ?? [],
        metrics: this.#o.metrics,
      },
      resource,
      options,
    );
    this.#caches.push(informer as unknown as InformerLike<KubeObject>);
    return informer;
  }

  /** Adds a part that runs on every replica from the start to the end: an HTTP server, a probe. */
  add(runnable: Runnable): void {
    this.#assertNotRunning();
    this.#runnables.push(runnable);
  }

  /** Adds a controller; `build` is called once per term of leadership (a controller runs once). */
  addController(build: () => LeaderRunnable): void {
    this.#assertNotRunning();
    this.#controllers.push(build);
  }

  /**
   * Runs until `signal` aborts, then stops everything in reverse order.
   * Resolves on a stop by `signal`.
   * @throws {CacheSyncTimeoutError} when the caches do not sync in time
   * @throws the error of any part that failed (the others are stopped first)
   */
  async run(signal: AbortSignal): Promise<void> {
    this.#assertNotRunning();
    this.#running = true;
    // Aborted by `signal` or by the first part that fails.
    const all = new AbortController();
    let failure: { error: unknown } | undefined;
    const fail = (what: string, error: unknown) => {
      if (all.signal.aborted) return;
      log.error("{what} failed; stopping", { what, error });
      failure = { error };
      all.abort(error);
    };
    const onAbort = () => all.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    const started: Started[] = [];
    const start = <R>(
      name: string,
      parts: readonly R[],
      run: (r: R, s: AbortSignal) => unknown,
    ) => {
      const stop = new AbortController();
      const done = Promise.all(parts.map(async (part) => {
        try {
          await run(part, stop.signal);
        } catch (error) {
          if (!stop.signal.aborted) fail(name, error);
        }
      }));
      started.push({ name, stop, done, boundMs: name === "servers" ? SERVER_STOP_MS : undefined });
    };
    try {
      // Servers first, so that /healthz answers and /readyz tells why it is not ready yet.
      start("servers", this.#runnables, (r, s) => r.run(s));
      start("caches", this.#caches, (c, s) => c.run(s));
      const began = performance.now();
      await Promise.all(this.#caches.map((c) => c.waitForSync(all.signal, this.#o.syncTimeoutMs)));
      log.info("Caches synced in {ms} ms", {
        ms: Math.round(performance.now() - began),
        resources: this.#caches.map((c) => c.resource),
      });
      for (const cache of this.#caches) {
        const metrics = this.#o.metrics?.forCache(cache.resource);
        metrics?.synced(Date.now());
        metrics?.objects(cache.store.size);
      }
      if (!all.signal.aborted) await this.#runControllers(all.signal, signal);
    } catch (error) {
      if (!all.signal.aborted) failure ??= { error };
    } finally {
      signal.removeEventListener("abort", onAbort);
      for (const group of started.reverse()) await this.#stop(group);
    }
    if (failure) throw failure.error;
  }

  async #stop(group: Started): Promise<void> {
    group.stop.abort();
    if (group.boundMs === undefined) {
      await group.done;
    } else {
      let timer = { cancel() {} };
      const bound = new Promise<void>((resolve) => {
        timer = this.#clock.setTimer(resolve, group.boundMs ?? 0);
      });
      await Promise.race([group.done, bound]);
      timer.cancel();
    }
    log.debug("Stopped the {group}", { group: group.name });
  }

  /** Runs the controllers while `signal` lasts: at once, or while leading. */
  async #runControllers(signal: AbortSignal, graceful: AbortSignal): Promise<void> {
    const lead = async (leading: AbortSignal) => {
      // Graceful stop (the caller's signal): let in-flight reconciles finish.
      // Lost leadership or a failed part: abort them now.
      const drainMs = () => (graceful.aborted ? this.#o.drainMs : 0);
      await Promise.all(this.#controllers.map((build) => build().run(leading, { drainMs })));
    };
    const { election } = this.#o;
    if (!election) return await lead(signal);
    while (!signal.aborted) {
      await election.run(signal, lead);
      if (!signal.aborted) log.warn("Leadership lost; standing by with warm caches");
    }
  }

  #assertNotRunning(): void {
    if (this.#running) throw new Error("The manager is already running");
  }
}
