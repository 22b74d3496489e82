/**
 * Follows the children pgop (or the floor) makes for the load test's
 * Databases — the Secret, both Services and the StatefulSet — with one watch
 * per resource, and records for each Database when the last of its four
 * children appeared: the part of "time to Ready" that the system under test
 * controls, before the StatefulSet controller, the scheduler and the kubelet
 * (or kwok) take over.
 *
 * @module
 */
import { Resources } from "../../lib/kube/resource.ts";
import type { KubeClient, KubeObject } from "../../lib/kube/types.ts";
import { LABEL_INSTANCE, LABEL_MANAGED_BY, MANAGER_NAME } from "../../lib/database/types.ts";
import { type Change, listWatch, type ListWatchCounts } from "./list_watch.ts";

/**
 * Children of one Database: the credentials and replication Secrets, the
 * headless, client, read-write and read-only Services, the StatefulSet.
 */
export const CHILDREN_PER_DATABASE = 7;

const CHILD_RESOURCES = [Resources.secrets, Resources.services, Resources.statefulSets] as const;

/** Watches a {@link ChildrenTracker} holds open: one per child resource. */
export const CHILDREN_TRACKER_WATCHES = CHILD_RESOURCES.length;

/** Options of {@link ChildrenTracker}. */
export interface ChildrenTrackerOptions {
  /** Clock of the milestones, in ms; default `performance.now()`. */
  readonly now?: () => number;
}

/**
 * A list-then-watch follower of the three child resources (selected by pgop's
 * `managed-by` label). A Database's milestone is recorded once, at the event
 * that shows its fourth child; children are matched to their Database by
 * namespace and the `app.kubernetes.io/instance` label.
 */
export class ChildrenTracker {
  readonly #client: KubeClient;
  readonly #now: () => number;
  readonly #seen = new Map<string, Set<string>>();
  readonly #complete = new Map<string, number>();
  readonly #requests: ListWatchCounts = { lists: 0, watches: 0 };

  /** Does no I/O. */
  constructor(client: KubeClient, options: ChildrenTrackerOptions = {}) {
    this.#client = client;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Databases whose seven children all exist. */
  get complete(): number {
    return this.#complete.size;
  }

  /** The tracker's own requests: lists made and watches opened. */
  get requests(): Readonly<ListWatchCounts> {
    return { ...this.#requests };
  }

  /** When the fourth child of `namespace/name` appeared (tracker clock, ms). */
  childrenMs(key: string): number | undefined {
    return this.#complete.get(key);
  }

  /** Lists each resource, calls `onListed` once all three listed, then watches until `signal` aborts. */
  run(signal: AbortSignal, onListed?: () => void): Promise<void> {
    let listed = 0;
    const each = () => {
      if (++listed === CHILD_RESOURCES.length) onListed?.();
    };
    return Promise.all(CHILD_RESOURCES.map((resource) =>
      listWatch<KubeObject>(
        this.#client,
        resource,
        (change) => this.#observe(resource.plural, change),
        signal,
        { labelSelector: `${LABEL_MANAGED_BY}=${MANAGER_NAME}`, onListed: each },
        this.#requests,
      )
    )).then(() => {});
  }

  #observe(plural: string, change: Change<KubeObject>): void {
    if (change.type === "DELETED") return;
    const meta = change.object.metadata;
    const instance = meta?.labels?.[LABEL_INSTANCE];
    if (!instance || !meta?.name) return;
    const key = `${meta.namespace}/${instance}`;
    if (this.#complete.has(key)) return;
    let children = this.#seen.get(key);
    if (!children) this.#seen.set(key, children = new Set());
    children.add(`${plural}/${meta.name}`);
    if (children.size === CHILDREN_PER_DATABASE) {
      this.#complete.set(key, this.#now());
      this.#seen.delete(key);
    }
  }
}
