/**
 * The reflector (the model of client-go's `Reflector` and kube-rs `reflector(watcher(…))`):
 * keeps a {@link Store} equal to one resource + selectors on the API server by list + watch,
 * and tells a handler what changed. The decisions live in the pure {@link step} of
 * `reflector_state.ts`; this file performs the requests, waits and writes.
 *
 * Guarantees: a watch that ends or breaks resumes from the last seen resourceVersion (no
 * relist); only 410 Gone relists, and a relist emits just the difference (adds, updates with a
 * new resourceVersion, deletes of objects that vanished); a 410 soon after the previous list
 * ({@link RELIST_GRACE_MS}) waits for the backoff first. Every other failure is reported
 * through {@link ReflectorHooks.onError} and the log, then retried with exponential backoff;
 * {@link Reflector.run} never rejects because of the API server.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Clock, realClock, sleepUnlessAborted } from "../clock.ts";
import { type Resource, resourceLabel } from "../kube/resource.ts";
import type { KubeClient, KubeObject, WatchOptions } from "../kube/types.ts";
import { Backoff } from "./backoff.ts";
import {
  abandonsRequest,
  listState,
  type ReflectorAction,
  type ReflectorInput,
  type ReflectorState,
  step,
} from "./reflector_state.ts";
import {
  DEFAULT_MIN_WATCH_TIMEOUT_SECONDS,
  DEFAULT_PAGE_SIZE,
  type EventHandler,
  type ReflectorHooks,
  type ReflectorOptions,
  RELIST_GRACE_MS,
} from "./reflector_options.ts";
import { objectKey, type Store } from "./store.ts";
import { memoryDietTransform, type Transform } from "./transform.ts";

const log = getLogger(["pgop", "cache", "reflector"]);

/** Keeps a store in sync with one resource. Construct, then {@link run}; the constructor does no I/O. */
export class Reflector<T extends KubeObject> {
  readonly #client: KubeClient;
  readonly #resource: Resource;
  readonly #store: Store<T>;
  readonly #options: ReflectorOptions<T>;
  readonly #label: string;
  readonly #pageSize: number;
  readonly #minTimeout: number;
  readonly #transform: Transform<T>;
  readonly #hooks: ReflectorHooks;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: Backoff;
  #watchList: boolean;
  #running = false;
  #hasSynced = false;
  #lastRv = "";
  #lastListedAt: number | undefined;
  readonly #synced: Promise<void>;
  #markSynced: () => void = () => {};

  /** @throws {RangeError} for a page size that is not a positive integer or a non-positive watch timeout */
  constructor(
    client: KubeClient,
    resource: Resource,
    store: Store<T>,
    options: ReflectorOptions<T> = {},
  ) {
    this.#pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(this.#pageSize) || this.#pageSize < 1) {
      throw new RangeError(`pageSize must be a positive integer, got ${this.#pageSize}`);
    }
    this.#minTimeout = options.minWatchTimeoutSeconds ?? DEFAULT_MIN_WATCH_TIMEOUT_SECONDS;
    if (!(this.#minTimeout > 0) || !Number.isFinite(this.#minTimeout)) {
      throw new RangeError(`minWatchTimeoutSeconds must be positive, got ${this.#minTimeout}`);
    }
    this.#client = client;
    this.#resource = resource;
    this.#store = store;
    this.#options = options;
    this.#label = resourceLabel(resource);
    this.#transform = options.transform ?? memoryDietTransform;
    this.#hooks = options.hooks ?? {};
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#backoff = new Backoff({ clock: this.#clock, random: this.#random, ...options.backoff });
    this.#watchList = options.useWatchList ?? true;
    this.#synced = new Promise((resolve) => this.#markSynced = resolve);
  }

  /** True once the first full list has been written to the store (stays true). */
  get hasSynced(): boolean {
    return this.#hasSynced;
  }

  /** Resolves when {@link hasSynced} becomes true; never rejects. */
  get synced(): Promise<void> {
    return this.#synced;
  }

  /** The resourceVersion of the last list, event or bookmark applied; "" before the first. */
  get lastSyncResourceVersion(): string {
    return this.#lastRv;
  }

  /** Whether the next full list will be a streaming list (false after the server refused one). */
  get usesWatchList(): boolean {
    return this.#watchList;
  }

  /**
   * Lists and watches until `signal` aborts; API and transport errors are retried, not thrown.
   * @throws {Error} when already running
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error(`Reflector for ${this.#label} is already running`);
    this.#running = true;
    try {
      let state: ReflectorState<T> = listState(this.#watchList);
      this.#hooks.onList?.({ reason: "initial", streaming: this.#watchList });
      let restart: "ended" | "error" | undefined;
      while (!signal.aborted) {
        if (state.phase === "Watching" && restart) {
          this.#hooks.onWatchRestart?.({ reason: restart, resourceVersion: state.resourceVersion });
        }
        restart = undefined;
        let delayMs = 0;
        for await (const input of this.#request(state, signal)) {
          const result = step(state, input, { watchList: this.#watchList });
          state = result.state;
          if (input.type === "ended") restart = "ended";
          delayMs = this.#act(result.action);
          if (result.action.kind === "retry") restart = "error";
          if (abandonsRequest(result.action)) break;
        }
        if (delayMs > 0 && !(await sleepUnlessAborted(this.#clock, delayMs, signal))) break;
      }
    } finally {
      this.#running = false;
    }
  }

  /** Issues the request of the current phase and yields what came back; nothing after abort. */
  async *#request(
    state: ReflectorState<T>,
    signal: AbortSignal,
  ): AsyncGenerator<ReflectorInput<T>> {
    const { namespace, labelSelector, fieldSelector, protobuf } = this.#options;
    const selectors = {
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
      ...(protobuf ? { protobuf } : {}),
    };
    if (state.phase === "Listing") {
      let input: ReflectorInput<T>;
      try {
        const page = await this.#client.list<T>(this.#resource, {
          ...selectors,
          // The first page is a consistent read (rv ""); later pages carry only the token.
          ...(state.continue ? { continue: state.continue } : { resourceVersion: "" }),
          ...(state.full ? {} : { limit: this.#pageSize }),
          signal,
        });
        input = {
          type: "page",
          page: { ...page, items: page.items.map((o) => this.#transform(o)) },
        };
      } catch (error) {
        if (signal.aborted) return;
        input = { type: "failed", error };
      }
      yield input;
      return;
    }
    const options: WatchOptions = {
      ...selectors,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.floor(this.#minTimeout * (1 + this.#random())),
      signal,
      ...(state.phase === "StreamingList"
        ? { sendInitialEvents: true, resourceVersionMatch: "NotOlderThan", resourceVersion: "" }
        : { resourceVersion: state.resourceVersion }),
    };
    const started = this.#clock.now();
    let events = 0;
    try {
      for await (const event of this.#client.watch<T>(this.#resource, options)) {
        if (signal.aborted) return;
        events++;
        this.#hooks.onEvent?.(event.type);
        yield event.type === "ADDED" || event.type === "MODIFIED" || event.type === "DELETED"
          ? { type: "event", event: { type: event.type, object: this.#transform(event.object) } }
          : { type: "event", event };
      }
    } catch (error) {
      if (!signal.aborted) yield { type: "failed", error };
      return;
    }
    if (!signal.aborted) yield { type: "ended", events, durationMs: this.#clock.now() - started };
  }

  /** Performs an action; returns the backoff delay in ms (0: go on at once). */
  #act(action: ReflectorAction<T>): number {
    switch (action.kind) {
      case "none":
        return 0;
      case "replace":
        this.#replace(action.items, action.resourceVersion);
        return 0;
      case "apply":
        this.#apply(action.type, action.object, action.resourceVersion);
        return 0;
      case "bookmark":
        this.#setRv(action.resourceVersion);
        return 0;
      case "retry": {
        const delayMs = this.#backoff.next();
        log.warn("{resource}: request failed; retrying in {delayMs} ms", {
          resource: this.#label,
          delayMs: Math.round(delayMs),
          error: action.error,
        });
        this.#hooks.onError?.(action.error, { delayMs });
        return delayMs;
      }
      case "relist": {
        const listedAt = this.#lastListedAt;
        const recent = listedAt !== undefined && this.#clock.now() - listedAt < RELIST_GRACE_MS;
        const delayMs = recent ? this.#backoff.next() : 0;
        log.info("{resource}: resourceVersion expired; relisting in {delayMs} ms", {
          resource: this.#label,
          delayMs: Math.round(delayMs),
        });
        if (recent) this.#hooks.onError?.(action.error, { delayMs });
        this.#hooks.onList?.({ reason: "expired", streaming: this.#watchList });
        return delayMs;
      }
      case "fallback":
        log.info("{resource}: streaming list not available; listing page by page", {
          resource: this.#label,
          error: action.error,
        });
        this.#watchList = false;
        this.#hooks.onList?.({ reason: "fallback", streaming: false });
        return 0;
    }
  }

  #replace(items: readonly T[], resourceVersion: string): void {
    const diff = this.#store.replace(items, resourceVersion);
    this.#lastListedAt = this.#clock.now();
    this.#setRv(resourceVersion);
    if (!this.#hasSynced) {
      this.#hasSynced = true;
      this.#markSynced();
    }
    log.debug("{resource}: listed {count} objects at {resourceVersion}", {
      resource: this.#label,
      count: items.length,
      resourceVersion,
    });
    for (const obj of diff.added) this.#emit((h) => h.onAdd?.(obj));
    for (const { old, new: obj } of diff.updated) this.#emit((h) => h.onUpdate?.(old, obj));
    for (const obj of diff.deleted) this.#emit((h) => h.onDelete?.(obj));
  }

  #apply(type: "ADDED" | "MODIFIED" | "DELETED", obj: T, resourceVersion: string): void {
    this.#setRv(resourceVersion);
    if (type === "DELETED") {
      // Unknown objects were never announced, so their deletion is not either.
      if (this.#store.delete(obj) !== undefined) this.#emit((h) => h.onDelete?.(obj));
      return;
    }
    const stored = this.#store.get(objectKey(obj));
    const rv = obj.metadata?.resourceVersion;
    // The same version again (a resumed watch may repeat it): nothing changed.
    if (stored !== undefined && rv && stored.metadata?.resourceVersion === rv) return;
    this.#store.upsert(obj);
    if (stored === undefined) this.#emit((h) => h.onAdd?.(obj));
    else this.#emit((h) => h.onUpdate?.(stored, obj));
  }

  #setRv(resourceVersion: string): void {
    this.#store.setResourceVersion(this.#lastRv = resourceVersion);
  }

  #emit(call: (handler: EventHandler<T>) => void): void {
    const handler = this.#options.handler;
    if (!handler) return;
    try {
      call(handler);
    } catch (error) {
      log.error("{resource}: event handler threw", { resource: this.#label, error });
      this.#hooks.onError?.(error, { delayMs: 0 });
    }
  }
}
