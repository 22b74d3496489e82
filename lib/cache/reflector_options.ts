/**
 * What a {@link Reflector} is told and tells: its options and defaults, the
 * handler of changes and the hooks of its metrics (see `reflector.ts`).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { MessageSchema } from "../kube/protobuf.ts";
import type { KubeObject, WatchEvent } from "../kube/types.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { Transform } from "./transform.ts";

/** Receives changes after the store has applied them. Keep it quick (enqueue a key). */
export interface EventHandler<T> {
  onAdd?(obj: T): void;
  /** `oldObj` and `newObj` have different resourceVersions. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** `obj` is the last state the reflector knows (the DELETED event's object, or the stored one after a relist). */
  onDelete?(obj: T): void;
}

/** Why a full list started. */
export type ListReason = "initial" | "expired" | "fallback";

/** Observation points for metrics; all optional, all called synchronously. */
export interface ReflectorHooks {
  /** A full list (streaming or paginated) starts. */
  onList?(info: { readonly reason: ListReason; readonly streaming: boolean }): void;
  /** A watch is opened again after the previous one ended ("ended") or failed ("error"). */
  onWatchRestart?(
    info: { readonly reason: "ended" | "error"; readonly resourceVersion: string },
  ): void;
  /** A watch event arrived. */
  onEvent?(type: WatchEvent<KubeObject>["type"]): void;
  /**
   * A request failed and is retried after `delayMs`; a relist is delayed by a
   * 410 right after a list; or a handler threw (`delayMs` 0).
   */
  onError?(error: unknown, info: { readonly delayMs: number }): void;
}

/** Default page size of a paginated list (client-go's pager default). */
export const DEFAULT_PAGE_SIZE = 500;
/**
 * Default minimum server-side watch timeout; each watch asks for a random
 * value in [min, 2·min) (client-go: 5–10 minutes) so watches rotate and spread.
 */
export const DEFAULT_MIN_WATCH_TIMEOUT_SECONDS = 300;

/**
 * A 410 within this long after the last completed list waits for the backoff
 * before relisting: a server that expires every watch at once must not get
 * back-to-back full lists (client-go backs off before every relist).
 */
export const RELIST_GRACE_MS = 30_000;

/** Options of {@link Reflector}. */
export interface ReflectorOptions<T> {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Page size of paginated lists; default {@link DEFAULT_PAGE_SIZE}. */
  readonly pageSize?: number;
  /** See {@link DEFAULT_MIN_WATCH_TIMEOUT_SECONDS}. */
  readonly minWatchTimeoutSeconds?: number;
  /** Try a streaming list (`sendInitialEvents`) first; default true. Falls back for good once refused. */
  readonly useWatchList?: boolean;
  /** Applied to every object before it is stored; default {@link memoryDietTransform}. */
  readonly transform?: Transform<T>;
  /**
   * Read a built-in kind as protobuf, decoding only these fields (see
   * `WatchOptions.protobuf`); the transform then sees partial objects.
   */
  readonly protobuf?: MessageSchema;
  readonly handler?: EventHandler<T>;
  readonly hooks?: ReflectorHooks;
  /** Retry delays; `clock` and `random` default to the reflector's. */
  readonly backoff?: BackoffOptions;
  readonly clock?: Clock;
  /** Uniform [0, 1) source for the watch timeout and backoff jitter; default `Math.random`. */
  readonly random?: () => number;
}
