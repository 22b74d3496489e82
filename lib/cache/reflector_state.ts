/**
 * The list/watch state machine of a reflector, as a pure function (the model
 * of kube-rs `watcher`'s state enum and `step`): given the state and what the
 * last request produced, {@link step} says what state comes next and what the
 * shell (`Reflector` in `reflector.ts`) must do. No I/O, no clock, no randomness.
 *
 * ```
 *            ┌──────────── 410 Gone (relist) ────────────┐
 *            ▼                                           │
 *  StreamingList ──initial-events-end bookmark──▶ Watching(rv) ◀─┐ stream end: resume at rv
 *     │  4xx / ended early (fallback)                  │  ▲     │ error: back off, resume at rv
 *     ▼                                                │  └─────┘
 *  Listing(continue) ──last page──────────────────────┘
 *     ▲ └─ 410 on a continue token: full list without paging
 * ```
 *
 * @module
 */
import { ApiError, isGone } from "../kube/errors.ts";
import type { KubeObject, ListPage, Status, WatchEvent } from "../kube/types.ts";
import { objectKey } from "./store.ts";

/** The annotation on the bookmark that ends a streaming list's initial events. */
export const INITIAL_EVENTS_END_ANNOTATION = "k8s.io/initial-events-end";

/** Where the reflector is; the shell issues the request that each phase names. */
export type ReflectorState<T extends KubeObject> =
  /** Paginated list in progress: next request is a page with `continue` (or the first page). */
  | {
    readonly phase: "Listing";
    readonly continue: string | undefined;
    /** After a continue token expired: one unpaginated list (as client-go's pager does). */
    readonly full: boolean;
    /** Items of the pages so far; owned by the state and appended to by {@link step}. */
    readonly items: T[];
  }
  /** Streaming list (watch with `sendInitialEvents`): collecting the initial ADDED events. */
  | { readonly phase: "StreamingList"; readonly items: Map<string, T> }
  /** Watching from `resourceVersion` (the last one seen). */
  | { readonly phase: "Watching"; readonly resourceVersion: string };

/** What the last request produced. */
export type ReflectorInput<T extends KubeObject> =
  | { readonly type: "page"; readonly page: ListPage<T> }
  | { readonly type: "event"; readonly event: WatchEvent<T> }
  /** The watch stream ended without error after `events` events and `durationMs`. */
  | { readonly type: "ended"; readonly events: number; readonly durationMs: number }
  | { readonly type: "failed"; readonly error: unknown };

/** What the shell must do after a {@link step}. */
export type ReflectorAction<T extends KubeObject> =
  /** Nothing; go on (next page, next event, or reopen the watch at once). */
  | { readonly kind: "none" }
  /** A list completed: make the store exactly `items` and emit the diff. */
  | { readonly kind: "replace"; readonly items: readonly T[]; readonly resourceVersion: string }
  /** Apply a watch event to the store and emit it. */
  | {
    readonly kind: "apply";
    readonly type: "ADDED" | "MODIFIED" | "DELETED";
    readonly object: T;
    readonly resourceVersion: string;
  }
  /** Only the resourceVersion advanced. */
  | { readonly kind: "bookmark"; readonly resourceVersion: string }
  /** Leave the current request, back off, then issue the request of the (unchanged) phase. */
  | { readonly kind: "retry"; readonly error: unknown }
  /** Leave the current request and start a full list now (the resourceVersion expired). */
  | { readonly kind: "relist"; readonly error: unknown }
  /** The server refused streaming lists: stop using them and list page by page now. */
  | { readonly kind: "fallback"; readonly error: unknown };

/** Result of {@link step}. */
export interface Step<T extends KubeObject> {
  readonly state: ReflectorState<T>;
  readonly action: ReflectorAction<T>;
}

/** Context of {@link step}. */
export interface StepOptions {
  /** Whether a new full list should be a streaming list (false once the server refused it). */
  readonly watchList: boolean;
}

/** A watch that ended sooner than this with no event counts as a failure (client-go's rule). */
export const SHORT_WATCH_MS = 1000;

/** A watch stream closed almost at once without any event; retried with backoff. */
export class ShortWatchError extends Error {
  override readonly name = "ShortWatchError";
  constructor(durationMs: number) {
    super(`Watch closed after ${Math.round(durationMs)} ms without any event`);
  }
}

/** The watch ended before the initial-events-end bookmark of a streaming list. */
export class StreamingListIncompleteError extends Error {
  override readonly name = "StreamingListIncompleteError";
  constructor() {
    super(`Watch ended before the "${INITIAL_EVENTS_END_ANNOTATION}" bookmark`);
  }
}

/** The state that starts a full list: streaming when `watchList`, paginated otherwise. */
export function listState<T extends KubeObject>(
  watchList: boolean,
  full = false,
): ReflectorState<T> {
  return watchList
    ? { phase: "StreamingList", items: new Map() }
    : { phase: "Listing", continue: undefined, full, items: [] };
}

/** The error a watch `ERROR` event stands for (an {@link ApiError}, so `isGone` applies). */
export function statusError(status: Status): ApiError {
  return new ApiError(status.code ?? 500, status);
}

/** The transition function; see the module doc for the diagram. */
export function step<T extends KubeObject>(
  state: ReflectorState<T>,
  input: ReflectorInput<T>,
  options: StepOptions,
): Step<T> {
  switch (state.phase) {
    case "Listing":
      return stepListing(state, input, options);
    case "StreamingList":
      return stepStreamingList(state, input);
    case "Watching":
      return stepWatching(state, input, options);
  }
}

const NONE = { kind: "none" } as const;

function stepListing<T extends KubeObject>(
  state: ReflectorState<T> & { phase: "Listing" },
  input: ReflectorInput<T>,
  options: StepOptions,
): Step<T> {
  if (input.type === "page") {
    const { page } = input;
    for (const item of page.items) state.items.push(item);
    if (page.continue && !state.full) {
      return { state: { ...state, continue: page.continue }, action: NONE };
    }
    const resourceVersion = page.resourceVersion;
    return {
      state: { phase: "Watching", resourceVersion },
      action: { kind: "replace", items: state.items, resourceVersion },
    };
  }
  const error = input.type === "failed"
    ? input.error
    : new Error(`Unexpected ${input.type} while listing`);
  if (isGone(error) && state.continue !== undefined) {
    // The continue token expired (etcd compaction): start over in one request.
    return { state: listState<T>(false, true), action: { kind: "relist", error } };
  }
  if (isGone(error)) {
    return { state: listState<T>(options.watchList), action: { kind: "retry", error } };
  }
  // Transient: retry the same page after backing off (kube-rs keeps the token too).
  return { state, action: { kind: "retry", error } };
}

function stepStreamingList<T extends KubeObject>(
  state: ReflectorState<T> & { phase: "StreamingList" },
  input: ReflectorInput<T>,
): Step<T> {
  switch (input.type) {
    case "event": {
      const { event } = input;
      if (event.type === "ERROR") return streamingFailed(statusError(event.object));
      if (event.type === "BOOKMARK") {
        const annotations = event.object.metadata?.annotations;
        if (annotations?.[INITIAL_EVENTS_END_ANNOTATION] !== "true") return { state, action: NONE };
        const resourceVersion = event.object.metadata?.resourceVersion ?? "";
        const items = [...state.items.values()];
        // The watch that sent the list goes on, and its request still holds this
        // state: emptied, the buffer pins neither the objects nor their table.
        state.items.clear();
        return {
          state: { phase: "Watching", resourceVersion },
          action: { kind: "replace", items, resourceVersion },
        };
      }
      // Only ADDED is expected; MODIFIED/DELETED are applied to the buffer to stay correct.
      const key = objectKey(event.object);
      if (event.type === "DELETED") state.items.delete(key);
      else state.items.set(key, event.object);
      return { state, action: NONE };
    }
    case "ended":
      return {
        state: listState<T>(false),
        action: { kind: "fallback", error: new StreamingListIncompleteError() },
      };
    case "failed":
      return streamingFailed(input.error);
    case "page":
      return streamingFailed(new Error("Unexpected page during a streaming list"));
  }
}

/** A 4xx (other than 429) means "not supported or not allowed here": fall back for good. */
function streamingFailed<T extends KubeObject>(error: unknown): Step<T> {
  if (error instanceof ApiError && error.code >= 400 && error.code < 500 && error.code !== 429) {
    return { state: listState<T>(false), action: { kind: "fallback", error } };
  }
  return { state: listState<T>(true), action: { kind: "retry", error } };
}

function stepWatching<T extends KubeObject>(
  state: ReflectorState<T> & { phase: "Watching" },
  input: ReflectorInput<T>,
  options: StepOptions,
): Step<T> {
  switch (input.type) {
    case "event": {
      const { event } = input;
      if (event.type === "ERROR") return watchFailed(state, statusError(event.object), options);
      const resourceVersion = event.object.metadata?.resourceVersion || state.resourceVersion;
      const next: ReflectorState<T> = { phase: "Watching", resourceVersion };
      if (event.type === "BOOKMARK") {
        return { state: next, action: { kind: "bookmark", resourceVersion } };
      }
      return {
        state: next,
        action: { kind: "apply", type: event.type, object: event.object, resourceVersion },
      };
    }
    case "ended":
      if (input.events === 0 && input.durationMs < SHORT_WATCH_MS) {
        return { state, action: { kind: "retry", error: new ShortWatchError(input.durationMs) } };
      }
      // A normal rotation (timeoutSeconds): resume from the last resourceVersion, no relist.
      return { state, action: NONE };
    case "failed":
      return watchFailed(state, input.error, options);
    case "page":
      return watchFailed(state, new Error("Unexpected page while watching"), options);
  }
}

function watchFailed<T extends KubeObject>(
  state: ReflectorState<T>,
  error: unknown,
  options: StepOptions,
): Step<T> {
  if (isGone(error)) {
    return { state: listState<T>(options.watchList), action: { kind: "relist", error } };
  }
  return { state, action: { kind: "retry", error } };
}

/** Actions after which the current request is abandoned. */
export function abandonsRequest<T extends KubeObject>(action: ReflectorAction<T>): boolean {
  return action.kind === "retry" || action.kind === "relist" || action.kind === "fallback";
}
