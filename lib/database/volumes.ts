/**
 * Growing a Database's volumes. A StatefulSet's volume claim templates cannot
 * change, so a larger `spec.storage.size` is applied to each existing
 * PersistentVolumeClaim instead; the storage class must allow expansion. The
 * CRD forbids shrinking.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { ApiError, isNotFound } from "../kube/errors.ts";
import type { EventRecorder } from "../kube/event_recorder.ts";
import { Resources } from "../kube/resource.ts";
import type { KubeClient } from "../kube/types.ts";
import { claimName } from "./names.ts";
import { parseQuantity } from "./quantity.ts";
import { existingClaimStorage, storageRequest } from "./statefulset.ts";
import { type Database, FIELD_MANAGER } from "./types.ts";

/** Grows claims; remembers what it asked for so that each resize is requested once. */
export class VolumeResizer {
  readonly #client: KubeClient;
  readonly #events: EventRecorder;
  /** `uid/ordinal` → size requested. */
  readonly #requested = new Map<string, string>();

  constructor(client: KubeClient, events: EventRecorder) {
    this.#client = client;
    this.#events = events;
  }

  /**
   * Patches every claim of `sts` to the Database's storage size when that is
   * larger than the claim template's. A refusal by the API server (the storage
   * class cannot expand, the claim is not bound) becomes a Warning event, not a
   * retry loop; other errors are thrown.
   */
  async grow(db: Database, sts: StatefulSet, signal: AbortSignal): Promise<void> {
    const client = this.#client;
    const events = this.#events;
    const requested = this.#requested;
    const current = existingClaimStorage(sts);
    const wanted = storageRequest(db);
    if (current === undefined || parseQuantity(wanted) <= parseQuantity(current)) return;
    const replicas = Math.max(sts.spec?.replicas ?? 0, sts.status?.replicas ?? 0);
    for (let i = 0; i < replicas; i++) {
      const key = `${db.metadata?.uid}/${i}`;
      if (requested.get(key) === wanted) continue;
      try {
        await client.patch(
          Resources.persistentVolumeClaims,
          claimName(db, i),
          { spec: { resources: { requests: { storage: wanted } } } },
          { namespace: db.metadata?.namespace, type: "merge", fieldManager: FIELD_MANAGER, signal },
        );
        requested.set(key, wanted);
      } catch (error) {
        if (isNotFound(error)) continue;
        if (!(error instanceof ApiError) || error.code >= 500 || error.code === 429) throw error;
        requested.set(key, wanted);
        await events.record(db, {
          type: "Warning",
          reason: "StorageResizeFailed",
          message: `Could not grow volume "${claimName(db, i)}" to ${wanted}: ${error.message}`,
        });
      }
    }
  }
}
