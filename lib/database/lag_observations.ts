/**
 * What pgop last saw of each replicated Database's standbys through its
 * primary (`lag_observer.ts`), kept as a small store that the Database
 * controller watches like a cache (controller-runtime's channel source): a
 * changed observation queues its Database, whose reconcile puts the lag into
 * `status.instances[].lagBytes` (`instanceStatuses()`). The store changes only when a standby's lag
 * moves past {@link lagMoved}'s threshold, so a steady Database queues nothing
 * and costs no status write.
 *
 * @module
 */
import type { EventHandler } from "../cache/reflector_options.ts";
import { IndexedStore, objectKey, type StoreReader } from "../cache/store.ts";
import type { KubeObject } from "../kube/types.ts";
import { jsonEqual } from "./compare.ts";
import type { StandbyState } from "./replication_probe.ts";
import type { ObservedLag } from "./instances.ts";

/**
 * One Database's standbys as its primary last reported them (keyed like the
 * Database): the lag shown for each connected standby with a known lag. It
 * is shown only while the pod that was asked is still the primary.
 */
export interface LagObservation extends KubeObject, ObservedLag {
  readonly metadata: { readonly name: string; readonly namespace: string };
}

/**
 * Smallest change of a shown lag that is shown: a standby some hundred KiB
 * behind a busy primary is normal and wanders with every commit; following it
 * would cost a status write per observation.
 */
export const LAG_STEP_BYTES = 1 << 20;

/**
 * Whether a lag of `measured` bytes is news against `shown`: one is known and
 * the other not, or it moved by at least {@link LAG_STEP_BYTES} and by at
 * least half of `shown` (so a standby falling behind costs a write each time
 * its lag grows by half, not on every observation).
 */
export function lagMoved(shown: number | undefined, measured: number | undefined): boolean {
  if (shown === undefined || measured === undefined) return shown !== measured;
  return Math.abs(measured - shown) >= Math.max(LAG_STEP_BYTES, shown / 2);
}

/**
 * The observation to keep after `primary` reported `standbys`: each standby's
 * shown lag stays while it has not moved ({@link lagMoved}); one asked of
 * another primary starts afresh.
 */
export function nextObservation(
  previous: LagObservation | undefined,
  meta: { readonly name: string; readonly namespace: string },
  primary: string,
  standbys: readonly StandbyState[],
): LagObservation {
  const before = previous?.primary === primary ? previous.lagBytes : {};
  const lagBytes: Record<string, number> = {};
  for (const { name, lagBytes: measured } of standbys) {
    if (measured === undefined || name === primary) continue;
    const shown = before[name];
    lagBytes[name] = shown !== undefined && !lagMoved(shown, measured) ? shown : measured;
  }
  return { metadata: { name: meta.name, namespace: meta.namespace }, primary, lagBytes };
}

/**
 * The observations, by Database key, with change notifications: a
 * `Source` for the controller builder's `watches()`. Writes come from the
 * observer only; handlers hear an observation only when it changed.
 */
export class LagObservations {
  /** Names the source in the controller's logs. */
  readonly resource = "replication lag";
  readonly #store = new IndexedStore<LagObservation>();
  readonly #handlers = new Set<EventHandler<KubeObject>>();

  /** The observations; read-only. */
  get store(): StoreReader<LagObservation> {
    return this.#store;
  }

  /** Adds a handler (told of every stored observation first); returns its remover. */
  addHandler(handler: EventHandler<KubeObject>): () => void {
    this.#handlers.add(handler);
    for (const obj of this.#store.list()) handler.onAdd?.(obj);
    return () => void this.#handlers.delete(handler);
  }

  /** Stores `observation`; handlers hear of it only when it differs from the stored one. */
  set(observation: LagObservation): void {
    const old = this.#store.get(objectKey(observation));
    if (old !== undefined && jsonEqual(old, observation)) return;
    this.#store.upsert(observation);
    for (const h of this.#handlers) {
      if (old === undefined) h.onAdd?.(observation);
      else h.onUpdate?.(old, observation);
    }
  }

  /** Forgets the observation under `key` (`namespace/name`), telling handlers when there was one. */
  delete(key: string): void {
    const old = this.#store.get(key);
    if (old === undefined) return;
    this.#store.delete(old);
    for (const h of this.#handlers) h.onDelete?.(old);
  }
}
