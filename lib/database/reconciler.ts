/**
 * The Database reconciler: for one Database key, reads the cache and makes
 * the two Secrets, the four Services and the StatefulSet match the spec,
 * labels each pod with its role (`pod_roles.ts`), then reports status. Desired objects come from pure builders and every child
 * carries the hash of the object pgop wrote (see `children.ts`), so "did
 * anything change?" is a comparison against the cache and a reconcile with
 * everything in place makes no request at all.
 *
 * | situation                          | writes                               | outcome                       |
 * | ---------------------------------- | ------------------------------------ | ----------------------------- |
 * | new Database                       | 7 creates (Secrets and Services at once, then the StatefulSet), status (Creating) | success |
 * | a pod without its role label       | 1 merge patch of the pod (conditional on its resourceVersion), status | success |
 * | a pod changed under a role patch   | status if it changed                 | requeue after 1 s             |
 * | primary lost (`failover.ts`)       | reads of its pod and nodes, 2 pod patches, status, Warning event | success |
 * | a StatefulSet made OrderedReady    | 1 delete (orphan), Normal event; created again when gone | success |
 * | everything in place                | none                                 | success                       |
 * | a child of a reconciled one missing | 1 read of the Database, then create | success                      |
 * | the spec changed                   | apply of the changed children (a Secret read first), status | success |
 * | a child changed by another manager | 1 read of it, apply if pgop's fields differ | success             |
 * | invalid spec                       | status (InvalidSpec), Warning event   | terminal (until the spec changes) |
 * | child name taken by a foreign object | status (ChildConflict), Warning event | requeue after 30 s            |
 * | storage growth refused by the API server | status (Degraded, StorageResizeFailed), Warning event once | success |
 * | a pod cannot start (ErrImagePull…)  | status (Ready=False and Degraded with the kubelet's reason) if it changed | success |
 * | API error                          | status (Degraded) if it changed      | error (retried with backoff)  |
 * | queued within a shed request's Retry-After | none                         | requeue when it has passed    |
 *
 * @module
 */
import type { Pod, Secret, Service } from "kubernetes-types/core/v1.d.ts";
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import { type Clock, realClock } from "../clock.ts";
import type { MutationCache } from "../cache/mutation_cache.ts";
import type { StoreReader } from "../cache/store.ts";
import type { Reconciler, ReconcileRequest, ReconcileResult } from "../controller/reconciler.ts";
import { TerminalError } from "../controller/reconciler.ts";
import type { EventRecorder } from "../kube/event_recorder.ts";
import { type Resource, Resources } from "../kube/resource.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import {
  type ChildOutcome,
  type ChildPlan,
  databaseExists,
  ensureChild,
  VerifiedVersions,
} from "./children.ts";
import { generatePassword } from "./password.ts";
import { statefulSetName } from "./names.ts";
import { childPlans } from "./plans.ts";
import { instanceStatuses, type ObservedLag } from "./instances.ts";
import { planRoles, type RolePlan } from "./pod_roles.ts";
import { podKeys, podProblem } from "./pods.ts";
import { applyRoles, databasePods, recreateForParallel, roleRequeue } from "./replication_step.ts";
import { checkFailover, type FailoverCheck, reportFailover, soonest } from "./failover_step.ts";
import { DEFAULT_FAILOVER_DELAY_MS } from "./failover.ts";
import { InvalidSecretError } from "./secret.ts";
import { degradedUnwritten, formatTime, type Observed } from "./status.ts";
import { writeStatus } from "./status_writer.ts";
import type { Database } from "./types.ts";
import { RetryAfterHold } from "./retry_after.ts";
import { problemMessages, validateSpec } from "./validation.ts";
import { VolumeResizer } from "./volumes.ts";

/** How soon a Database whose child name is taken is looked at again (the foreign object is not watched). */
export const CONFLICT_RETRY_MS = 30_000;

/** The caches the reconciler reads, each wrapped to see pgop's own recent writes. */
export interface DatabaseCaches {
  readonly databases: MutationCache<Database>;
  readonly statefulSets: MutationCache<StatefulSet>;
  readonly services: MutationCache<Service>;
  readonly secrets: MutationCache<Secret>;
  /** The Databases' pods (projected, `pods.ts`): their roles, and why one does not start. */
  readonly pods?: Pick<StoreReader<Pod>, "get">;
  /** What the lag observer last saw of each Database's standbys (`lag_observations.ts`). */
  readonly lag?: Pick<StoreReader<ObservedLag>, "get">;
}

/** Options of {@link DatabaseReconciler}. */
export interface DatabaseReconcilerOptions {
  readonly client: KubeClient;
  readonly caches: DatabaseCaches;
  readonly events: EventRecorder;
  readonly clock?: Clock;
  /** Source of new passwords (default: 32 random characters from crypto.getRandomValues). */
  readonly generatePassword?: () => string;
  /** Source of demote ids for a switchover (default: a random UUID). */
  readonly newDemoteId?: () => string;
  /** How long a primary must be lost before a fail-over (default 30 s; `failover.ts`). */
  readonly failoverDelayMs?: number;
  /** Called once per fail-over made (the `database_failovers_total` counter). */
  readonly onFailover?: () => void;
}

/** A child could not be written for a reason that retrying will not fix by itself. */
class ChildBlocked extends Error {
  override readonly name = "ChildBlocked";
}

/** The Database was deleted (or replaced) after the cache last saw it. */
class DatabaseGone extends Error {
  override readonly name = "DatabaseGone";
}

/** One reconcile of one Database. */
interface Round {
  readonly db: Database;
  readonly signal: AbortSignal;
  /** Whether the Database still exists, asked at most once per round. */
  live?: Promise<boolean>;
}

/** Reconciles Databases. */
export class DatabaseReconciler implements Reconciler {
  readonly #o: DatabaseReconcilerOptions;
  readonly #clock: Clock;
  readonly #newPassword: () => string;
  readonly #newDemoteId: () => string;
  readonly #volumes: VolumeResizer;
  readonly #verified = new VerifiedVersions();
  readonly #held = new RetryAfterHold();

  constructor(options: DatabaseReconcilerOptions) {
    this.#o = options;
    this.#volumes = new VolumeResizer(options.client, options.events);
    this.#clock = options.clock ?? realClock;
    this.#newPassword = options.generatePassword ?? (() => generatePassword());
    this.#newDemoteId = options.newDemoteId ?? (() => crypto.randomUUID());
  }

  async reconcile(request: ReconcileRequest, signal: AbortSignal): Promise<ReconcileResult | void> {
    // Queued again by an event while the server's Retry-After runs: wait it out first.
    const wait = this.#held.remaining(request.key, this.#clock.now());
    if (wait !== undefined) return { requeueAfterMs: wait };
    try {
      return await this.#reconcile(request, signal);
    } catch (error) {
      this.#held.hold(
        request.key,
        error instanceof AggregateError ? error.cause : error,
        this.#clock.now(),
      );
      throw error;
    }
  }

  async #reconcile(
    request: ReconcileRequest,
    signal: AbortSignal,
  ): Promise<ReconcileResult | void> {
    const db = this.#o.caches.databases.get(request.key);
    // Gone or going: the garbage collector removes the children through their owner references.
    if (!db || db.metadata?.deletionTimestamp) return;

    const validation = validateSpec(db);
    if (!validation.valid) {
      const invalid = problemMessages(validation);
      await this.#writeStatus(db, { invalid }, signal);
      await this.#o.events.record(db, {
        type: "Warning",
        reason: "InvalidSpec",
        message: invalid.join("; "),
      });
      throw new TerminalError("InvalidSpec", `Invalid spec: ${invalid.join("; ")}`);
    }

    let statefulSet: StatefulSet | undefined;
    let storage: string | undefined;
    let roles: RolePlan | undefined;
    let rolesApplied = true;
    let check: FailoverCheck = {};
    const round: Round = { db, signal };
    const { client, events } = this.#o;
    const now = this.#clock.wallNow();
    try {
      const cached = this.#o.caches.statefulSets.get(
        `${db.metadata?.namespace}/${statefulSetName(db)}`,
      );
      const pods = databasePods(db, this.#o.caches.pods, cached);
      const delayMs = this.#o.failoverDelayMs ?? DEFAULT_FAILOVER_DELAY_MS;
      check = await checkFailover(db, pods, { client, events, now, delayMs, signal });
      roles = planRoles(db, pods, { newDemoteId: this.#newDemoteId, now, ...check });
      const plans = childPlans(db, {
        statefulSet: cached,
        newPassword: this.#newPassword,
        primary: roles.primary,
      });
      // The Secrets and the Services at once, then the StatefulSet, whose pods
      // read the Secrets: a new Database takes two round trips, not seven.
      const first = plans.filter((p) => p.resource !== Resources.statefulSets);
      await this.#ensureAll(round, first);
      if (!(await recreateForParallel(client, events, db, cached, signal))) {
        const [child] = await this.#ensureAll(
          round,
          plans.filter((p) => p.resource === Resources.statefulSets),
        );
        statefulSet = child as StatefulSet | undefined;
        if (statefulSet) storage = await this.#volumes.grow(db, statefulSet, signal);
      }
      // Labels before status: the label is the later word on who is primary.
      rolesApplied = await applyRoles(client, events, db, roles, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      // Deleted meanwhile; the cache has not caught up yet. Nothing to do.
      if (error instanceof DatabaseGone) return;
      if (error instanceof ChildBlocked || error instanceof InvalidSecretError) {
        await this.#writeStatus(db, { conflict: error.message }, signal);
        await this.#o.events.record(db, {
          type: "Warning",
          reason: "ChildConflict",
          message: error.message,
        });
        return { requeueAfterMs: CONFLICT_RETRY_MS };
      }
      const message = error instanceof Error ? error.message : String(error);
      const current = this.#o.caches.statefulSets.get(
        `${db.metadata?.namespace}/${statefulSetName(db)}`,
      );
      // The reconcile error is what is retried; a failed status write goes with it.
      await this.#writeStatus(db, { ...this.#observe(current), error: message }, signal)
        .catch((statusError) => Promise.reject(degradedUnwritten(error, statusError)));
      throw error;
    }
    const pods = databasePods(db, this.#o.caches.pods, statefulSet);
    const lastFailover = rolesApplied
      ? await reportFailover(events, db, check, { time: formatTime(now), ...this.#o })
      : undefined;
    await this.#writeStatus(db, {
      ...this.#observe(statefulSet),
      storage,
      primary: roles?.primary,
      instances: instanceStatuses(pods, roles?.primary, this.#o.caches.lag?.get(request.key)),
      lastFailover,
    }, signal);
    return soonest(roleRequeue(db, roles, rolesApplied), check.requeueAfterMs);
  }

  /** The StatefulSet and, when one of its pods cannot run, why. */
  #observe(statefulSet: StatefulSet | undefined): Observed {
    const pods = this.#o.caches.pods;
    if (statefulSet === undefined || pods === undefined) return { statefulSet };
    const problem = podProblem(statefulSet, podKeys(statefulSet).map((key) => pods.get(key)));
    return problem === undefined ? { statefulSet } : { statefulSet, podProblem: problem };
  }

  /**
   * Ensures children concurrently; returns them in order. When any fails, the
   * others are still waited for, and the first failure in plan order is thrown.
   */
  async #ensureAll(round: Round, plans: readonly ChildPlan[]): Promise<(KubeObject | undefined)[]> {
    const results = await Promise.allSettled(
      plans.map((plan) => this.#ensure(round, plan)),
    );
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    return results.map((r) => (r as PromiseFulfilledResult<KubeObject | undefined>).value);
  }

  /** Ensures one child; returns it (as written, as read, or as cached), or throws {@link ChildBlocked}. */
  async #ensure(round: Round, plan: ChildPlan): Promise<KubeObject | undefined> {
    const { db, signal } = round;
    const cache = this.#cacheOf(plan.resource);
    const cached = cache.get(`${db.metadata?.namespace}/${plan.template.metadata?.name}`);
    // A child missing from the cache of a Database reconciled before was
    // deleted — by a person, or by the garbage collector because the Database
    // is gone and its cache has not caught up. Only the API server can tell;
    // asking once per reconcile keeps pgop from re-creating children the
    // collector is deleting. A new Database has nothing to ask about.
    if (cached === undefined && db.status?.observedGeneration !== undefined) {
      round.live ??= databaseExists(this.#o.client, db, signal);
      if (!(await round.live)) throw new DatabaseGone();
    }
    const outcome: ChildOutcome = await ensureChild(
      this.#o.client,
      plan,
      db,
      cached,
      signal,
      this.#verified,
    );
    if (outcome.kind === "conflict") throw new ChildBlocked(outcome.message);
    if (outcome.kind !== "unchanged") cache.mutated(outcome.object, cached);
    return outcome.object;
  }

  #cacheOf(resource: Resource): MutationCache<KubeObject> {
    const { secrets, services, statefulSets } = this.#o.caches;
    const cache = resource === Resources.secrets
      ? secrets
      : resource === Resources.services
      ? services
      : statefulSets;
    return cache as MutationCache<KubeObject>;
  }

  /** Writes status through the status subresource, only when it changed. */
  #writeStatus(db: Database, observed: Observed, signal: AbortSignal): Promise<void> {
    const now = formatTime(this.#clock.wallNow());
    return writeStatus(this.#o.client, this.#o.caches.databases, db, observed, { now, signal });
  }
}
