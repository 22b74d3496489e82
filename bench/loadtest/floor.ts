/**
 * The floor: the least work that gives every Database what pgop gives it,
 * with no cache diffing, no queue semantics and no client-side rate limit.
 * It watches Databases, creates exactly pgop's seven children at once (from
 * pgop's own pure builders, with a fixed password, the same hash annotations
 * and field manager), writes status Creating, and Ready
 * once the StatefulSet (followed with its own watch) is rolled out — so a
 * load test can say how close pgop gets to what this API server and etcd can
 * do on this machine.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { objectToCreate } from "../../lib/database/children.ts";
import { childPlans } from "../../lib/database/plans.ts";
import { computeStatus, formatTime } from "../../lib/database/status.ts";
import { applyStatus } from "../../lib/database/status_writer.ts";
import {
  type Database,
  type DatabasePhase,
  FIELD_MANAGER,
  LABEL_MANAGED_BY,
  MANAGER_NAME,
} from "../../lib/database/types.ts";
import { isAlreadyExists } from "../../lib/kube/errors.ts";
import { Resources } from "../../lib/kube/resource.ts";
import type { KubeClient } from "../../lib/kube/types.ts";
import { type Change, listWatch } from "./list_watch.ts";

/** The password every floor Secret gets (the floor measures the API server, not crypto). */
export const FLOOR_PASSWORD = "floor-password-0123456789abcdef";

/** Wait before a failed work item is tried again. */
const RETRY_MS = 1000;

/** Options of {@link FloorWriter}. */
export interface FloorWriterOptions {
  readonly client: KubeClient;
  /** Databases worked on at once (pgop's `--workers`). */
  readonly workers: number;
  /** Wall clock for condition timestamps (default `Date.now`). */
  readonly wallNow?: () => number;
}

interface State {
  created: boolean;
  written?: DatabasePhase;
  statefulSet?: StatefulSet;
}

/**
 * Does pgop's job for new Databases with the fewest requests: 7 creates and
 * 2 status writes each (1 when the StatefulSet is ready before Creating is
 * written). It does not label pods with their roles (pgop's one pod patch
 * per pod): it follows no pods. A Database is worked on by one worker at a time; a failed step is
 * retried after a second. Databases that existed at start are treated as new
 * (AlreadyExists is taken as done).
 */
export class FloorWriter {
  readonly #o: FloorWriterOptions;
  readonly #databases = new Map<string, Database>();
  readonly #states = new Map<string, State>();
  readonly #statefulSets = new Map<string, StatefulSet>();
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  #wake: (() => void) | undefined;
  readonly #retries = new Set<ReturnType<typeof setTimeout>>();
  #synced = 0;
  #tasks = 0;
  #errors = 0;

  /** @throws {RangeError} when `workers` is not a positive integer */
  constructor(options: FloorWriterOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
    }
    this.#o = options;
  }

  /** True once both watches have listed. */
  get synced(): boolean {
    return this.#synced === 2;
  }
  /** Keys waiting for a worker. */
  get queueDepth(): number {
    return this.#queue.length;
  }
  /** Work items done (the floor's "reconciles"). */
  get tasks(): number {
    return this.#tasks;
  }
  /** Work items that failed (and were retried). */
  get errors(): number {
    return this.#errors;
  }

  /** Watches and works until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const onListed = () => this.#synced++;
    const stop = () => this.#wake?.();
    signal.addEventListener("abort", stop, { once: true });
    try {
      await Promise.all([
        listWatch<Database>(
          this.#o.client,
          Resources.databases,
          (c) => this.#onDatabase(c),
          signal,
          {
            onListed,
          },
        ),
        listWatch<StatefulSet>(
          this.#o.client,
          Resources.statefulSets,
          (c) => this.#onStatefulSet(c),
          signal,
          { labelSelector: `${LABEL_MANAGED_BY}=${MANAGER_NAME}`, onListed },
        ),
        ...Array.from({ length: this.#o.workers }, () => this.#worker(signal)),
      ]);
    } finally {
      signal.removeEventListener("abort", stop);
      for (const id of this.#retries) clearTimeout(id);
      this.#retries.clear();
    }
  }

  #onDatabase({ type, object }: Change<Database>): void {
    const key = `${object.metadata?.namespace}/${object.metadata?.name}`;
    if (type === "DELETED") {
      this.#databases.delete(key);
      this.#states.delete(key);
      return;
    }
    this.#databases.set(key, object);
    if (!this.#states.has(key)) {
      this.#states.set(key, { created: false });
      this.#enqueue(key);
    }
  }

  #onStatefulSet({ type, object }: Change<StatefulSet>): void {
    const key = `${object.metadata?.namespace}/${object.metadata?.name}`;
    if (type === "DELETED") {
      this.#statefulSets.delete(key);
      return;
    }
    this.#statefulSets.set(key, object);
    const state = this.#states.get(key);
    const db = this.#databases.get(key);
    if (state?.created && state.written !== "Ready" && db && this.#phase(db, object) === "Ready") {
      this.#enqueue(key);
    }
  }

  #phase(db: Database, statefulSet: StatefulSet | undefined): DatabasePhase | undefined {
    return computeStatus(db, { statefulSet }, formatTime(this.#now())).phase;
  }

  #now(): number {
    return (this.#o.wallNow ?? Date.now)();
  }

  #enqueue(key: string): void {
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#wake?.();
  }

  async #worker(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const key = this.#queue.shift();
      if (key === undefined) {
        await new Promise<void>((resolve) => {
          const previous = this.#wake;
          this.#wake = () => {
            this.#wake = undefined;
            previous?.();
            resolve();
          };
        });
        continue;
      }
      this.#queued.delete(key);
      this.#tasks++;
      try {
        await this.#work(key, signal);
      } catch {
        if (signal.aborted) return;
        this.#errors++;
        const id = setTimeout(() => {
          this.#retries.delete(id);
          this.#enqueue(key);
        }, RETRY_MS);
        this.#retries.add(id);
      }
    }
  }

  async #work(key: string, signal: AbortSignal): Promise<void> {
    const db = this.#databases.get(key);
    const state = this.#states.get(key);
    if (!db || !state || db.metadata?.deletionTimestamp) return;
    if (!state.created) {
      // pgop's own plans, stamped with the same hashes: exactly pgop's objects,
      // all four at once (pgop makes the StatefulSet after the Secret it
      // references; the floor need not wait for anything).
      const plans = childPlans(db, { newPassword: () => FLOOR_PASSWORD });
      await Promise.all(plans.map(async (plan) => {
        try {
          const created = await this.#o.client.create(plan.resource, objectToCreate(plan), {
            fieldManager: FIELD_MANAGER,
            signal,
          });
          if (plan.resource === Resources.statefulSets) {
            state.statefulSet = created as StatefulSet;
          }
        } catch (error) {
          if (!isAlreadyExists(error)) throw error;
        }
      }));
      state.created = true;
    }
    const statefulSet = this.#statefulSets.get(key) ?? state.statefulSet;
    const status = computeStatus(db, { statefulSet }, formatTime(this.#now()));
    if (status.phase === state.written) return;
    await applyStatus(this.#o.client, db, status, signal);
    state.written = status.phase;
  }
}
