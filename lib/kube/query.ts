/**
 * Query strings and content types of the REST client, as pure functions.
 *
 * @module
 */
import type { ListOptions, PatchOptions, Selectors, WatchOptions } from "./types.ts";

/** `Content-Type` of each patch flavour. */
export const PATCH_CONTENT_TYPES: Readonly<Record<PatchOptions["type"], string>> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

/** `Content-Type` of a server-side apply; a JSON body is valid YAML. */
export const APPLY_CONTENT_TYPE = "application/apply-patch+yaml";

/**
 * The query of one list page. Empty strings and absent values are left out;
 * `limit` of 0 means "no limit" and is left out too.
 *
 * @throws {RangeError} when `limit` is negative or not an integer
 */
export function listQuery(options: ListOptions = {}): URLSearchParams {
  const q = selectorQuery(options);
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0) {
      throw new RangeError(`limit must be an integer >= 0, got ${options.limit}`);
    }
    if (options.limit > 0) q.set("limit", String(options.limit));
  }
  if (options.continue) q.set("continue", options.continue);
  // "" is meaningful only by absence (quorum read), so it is not sent.
  if (options.resourceVersion) q.set("resourceVersion", options.resourceVersion);
  if (options.resourceVersionMatch) q.set("resourceVersionMatch", options.resourceVersionMatch);
  return q;
}

/**
 * The query of a watch: `watch=1` plus resourceVersion, bookmarks, streaming
 * list and timeout. `sendInitialEvents` implies `resourceVersionMatch=NotOlderThan`
 * (the server rejects it otherwise) and bookmarks (the stream's end of the
 * initial state is announced by a bookmark).
 *
 * @throws {RangeError} when `timeoutSeconds` is negative or not an integer
 */
export function watchQuery(options: WatchOptions = {}): URLSearchParams {
  const q = selectorQuery(options);
  q.set("watch", "1");
  if (options.resourceVersion) q.set("resourceVersion", options.resourceVersion);
  if (options.sendInitialEvents) {
    q.set("sendInitialEvents", "true");
    q.set("allowWatchBookmarks", "true");
    q.set("resourceVersionMatch", "NotOlderThan");
  } else {
    if (options.allowWatchBookmarks) q.set("allowWatchBookmarks", "true");
    if (options.resourceVersionMatch) q.set("resourceVersionMatch", options.resourceVersionMatch);
  }
  if (options.timeoutSeconds !== undefined) {
    if (!Number.isInteger(options.timeoutSeconds) || options.timeoutSeconds < 0) {
      throw new RangeError(`timeoutSeconds must be an integer >= 0, got ${options.timeoutSeconds}`);
    }
    q.set("timeoutSeconds", String(options.timeoutSeconds));
  }
  return q;
}

/** The query of a write: `fieldManager` (and `force` for apply) when given. */
export function writeQuery(fieldManager?: string, force?: boolean): URLSearchParams {
  const q = new URLSearchParams();
  if (fieldManager) q.set("fieldManager", fieldManager);
  if (force) q.set("force", "true");
  return q;
}

/** `path` plus `?query` when the query is not empty. */
export function withQuery(path: string, query: URLSearchParams): string {
  const s = query.toString();
  return s ? `${path}?${s}` : path;
}

function selectorQuery(options: Selectors): URLSearchParams {
  const q = new URLSearchParams();
  if (options.labelSelector) q.set("labelSelector", options.labelSelector);
  if (options.fieldSelector) q.set("fieldSelector", options.fieldSelector);
  return q;
}
