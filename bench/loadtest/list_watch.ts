/**
 * The smallest correct list-then-watch loop, for the load tool's own
 * followers (the Ready tracker and the floor writer): list once, watch from
 * the list's resourceVersion, re-open an ended or broken watch from the last
 * resourceVersion seen, and list again only on 410 Gone.
 *
 * @module
 */
import { realClock, sleepWith } from "../../lib/clock.ts";
import { isGone } from "../../lib/kube/errors.ts";
import type { Resource } from "../../lib/kube/resource.ts";
import type { KubeClient, KubeObject } from "../../lib/kube/types.ts";

/** A watch ended with an ERROR event other than 410 Gone (e.g. 403): retrying will not help. */
export class WatchFailedError extends Error {
  override readonly name = "WatchFailedError";
}

/** An object change as the follower sees it. */
export type Change<T> = { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: T };

/** Options of {@link listWatch}. */
export interface ListWatchOptions {
  readonly labelSelector?: string;
  /** Called once, after the first list was delivered. */
  readonly onListed?: () => void;
  /** Wait after a broken watch before re-opening it (default 1 s). */
  readonly retryMs?: number;
}

/** Requests a {@link listWatch} made; updated while it runs. */
export interface ListWatchCounts {
  lists: number;
  watches: number;
}

/**
 * Lists `resource` (all namespaces) and watches it until `signal` aborts,
 * delivering every object of a list as ADDED and every watch event to
 * `onChange`. Resolves when `signal` aborts; rejects when a list fails or with
 * {@link WatchFailedError}. A watch broken by a transport error is re-opened
 * after `retryMs`.
 */
export async function listWatch<T extends KubeObject>(
  client: KubeClient,
  resource: Resource,
  onChange: (change: Change<T>) => void,
  signal: AbortSignal,
  options: ListWatchOptions = {},
  counts: ListWatchCounts = { lists: 0, watches: 0 },
): Promise<void> {
  const { labelSelector } = options;
  const list = async () => {
    counts.lists++;
    const page = await client.list<T>(resource, { labelSelector, signal });
    for (const object of page.items) onChange({ type: "ADDED", object });
    return page.resourceVersion;
  };
  let rv: string;
  try {
    rv = await list();
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
  options.onListed?.();
  while (!signal.aborted) {
    try {
      counts.watches++;
      const events = client.watch<T>(resource, {
        labelSelector,
        resourceVersion: rv,
        allowWatchBookmarks: true,
        signal,
      });
      for await (const event of events) {
        if (event.type === "ERROR") {
          if (event.object.code === 410) {
            rv = await list();
            break;
          }
          throw new WatchFailedError(
            `Watch of ${resource.plural} failed: ${event.object.message ?? event.object.reason}`,
          );
        }
        rv = event.object.metadata?.resourceVersion ?? rv;
        if (event.type !== "BOOKMARK") onChange({ type: event.type, object: event.object as T });
      }
    } catch (error) {
      if (signal.aborted) return;
      if (isGone(error)) {
        rv = await list();
        continue;
      }
      if (error instanceof WatchFailedError) throw error;
      await sleepWith(realClock, options.retryMs ?? 1000, signal).catch(() => {});
    }
  }
}
