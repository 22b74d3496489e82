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

/**
 * How many claims' resize requests are remembered. Past that the oldest are
 * forgotten: a forgotten claim is patched once more (an idempotent request),
 * so the bound costs at most a request, never a wrong result.
 */
export const MAX_REMEMBERED_CLAIMS = 4096;

/** What was asked of one claim, and the API server's refusal if it refused. */
interface Request {
  readonly size: string;
  readonly refused?: string;
}

/** Grows claims; remembers what it asked for so that each resize is requested once. */
export class VolumeResizer {
  readonly #client: KubeClient;
  readonly #events: EventRecorder;
  /** `uid/ordinal` → the last request, in order of use (oldest first). */
  readonly #requested = new Map<string, Request>();
  readonly #max: number;

  /** Does no I/O. */
  constructor(client: KubeClient, events: EventRecorder, options: { maxClaims?: number } = {}) {
    this.#client = client;
    this.#events = events;
    this.#max = options.maxClaims ?? MAX_REMEMBERED_CLAIMS;
  }

  /** Claims remembered (at most `maxClaims`). */
  get size(): number {
    return this.#requested.size;
  }

  /**
   * Patches every claim of `sts` to the Database's storage size when that is
   * larger than the claim template's. A refusal by the API server (the storage
   * class cannot expand, the claim is not bound) is not retried until the size
   * changes: it is returned (also on later calls) for the status to show, with
   * a Warning event the first time; other errors are thrown.
   * @returns why a claim could not grow, or undefined
   */
  async grow(db: Database, sts: StatefulSet, signal: AbortSignal): Promise<string | undefined> {
    const current = existingClaimStorage(sts);
    const wanted = storageRequest(db);
    if (current === undefined || parseQuantity(wanted) <= parseQuantity(current)) return undefined;
    const replicas = Math.max(sts.spec?.replicas ?? 0, sts.status?.replicas ?? 0);
    let refused: string | undefined;
    for (let i = 0; i < replicas; i++) {
      const key = `${db.metadata?.uid}/${i}`;
      const before = this.#requested.get(key);
      if (before?.size === wanted) {
        this.#remember(key, before);
        refused ??= before.refused;
        continue;
      }
      const outcome = await this.#patch(db, i, wanted, signal);
      if (outcome === undefined) continue;
      this.#remember(key, outcome);
      refused ??= outcome.refused;
    }
    return refused;
  }

  /** One claim's patch: the request to remember, or undefined when the claim does not exist. */
  async #patch(
    db: Database,
    ordinal: number,
    wanted: string,
    signal: AbortSignal,
  ): Promise<Request | undefined> {
    const name = claimName(db, ordinal);
    try {
      await this.#client.patch(
        Resources.persistentVolumeClaims,
        name,
        { spec: { resources: { requests: { storage: wanted } } } },
        { namespace: db.metadata?.namespace, type: "merge", fieldManager: FIELD_MANAGER, signal },
      );
      return { size: wanted };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (!(error instanceof ApiError) || error.code >= 500 || error.code === 429) throw error;
      const message = `Could not grow volume "${name}" to ${wanted}: ${error.message}`;
      await this.#events.record(db, { type: "Warning", reason: "StorageResizeFailed", message });
      return { size: wanted, refused: message };
    }
  }

  #remember(key: string, request: Request): void {
    this.#requested.delete(key);
    this.#requested.set(key, request);
    if (this.#requested.size > this.#max) {
      const oldest = this.#requested.keys().next();
      if (!oldest.done) this.#requested.delete(oldest.value);
    }
  }
}
