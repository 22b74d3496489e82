/**
 * Controller setup in the manner of controller-runtime's builder:
 *
 * ```ts
 * controllerManagedBy<Database>(mgr)
 *   .named("database")
 *   .for(databases, { kind: "Database", priority, updatePredicate })
 *   .owns(statefulSets)                                   // queued by their controller reference
 *   .watches(pods, byLabel("app.kubernetes.io/instance")) // queued by a map function
 *   .withOptions({ workers: 8, rateLimiter })
 *   .complete(reconciler);
 * ```
 *
 * `complete()` hands the manager a factory that builds a fresh
 * {@link Controller} for every term of leadership (a controller runs once).
 *
 * @module
 */
import type { KubeObject } from "../kube/types.ts";
import { checkOptions, Controller } from "./controller.ts";
import { type ControllerOptions, type Source, type Watch } from "./controller_options.ts";
import type { LeaderRunnable } from "./manager.ts";
import type { Reconciler } from "./reconciler.ts";

/** What the builder needs of a manager: a place for the controllers it builds. */
export interface ControllerHost {
  addController(build: () => LeaderRunnable): void;
}

/** How the primary resource is watched. */
export interface ForOptions<T extends KubeObject> {
  /** Kind of the primary resource, which {@link owns} matches against controller references. */
  readonly kind: string;
  readonly priority?: ControllerOptions<T>["priority"];
  readonly updatePredicate?: ControllerOptions<T>["updatePredicate"];
}

/** The tuning of the controller: everything but what it watches and runs. */
export type TuningOptions<T extends KubeObject> = Omit<
  ControllerOptions<T>,
  "name" | "primary" | "watches" | "reconciler" | "priority" | "updatePredicate"
>;

/** Maps an object to the key of its controller owner of `kind` (controller-runtime's `EnqueueRequestForOwner`). */
export function byControllerOwner(kind: string): (obj: KubeObject) => string | undefined {
  return (obj) => {
    const owner = obj.metadata?.ownerReferences?.find((r) => r.controller && r.kind === kind);
    if (!owner) return undefined;
    const ns = obj.metadata?.namespace;
    return ns ? `${ns}/${owner.name}` : owner.name;
  };
}

/** Maps an object to the primary object named by its label `label`, in its namespace. */
export function byLabel(label: string): (obj: KubeObject) => string | undefined {
  return (obj) => {
    const name = obj.metadata?.labels?.[label];
    if (!name) return undefined;
    const ns = obj.metadata?.namespace;
    return ns ? `${ns}/${name}` : name;
  };
}

/** Collects what a controller watches; {@link complete} registers it with the manager. */
export class ControllerBuilder<T extends KubeObject> {
  readonly #host: ControllerHost;
  #name = "";
  #primary: { source: Source<T>; options: ForOptions<T> } | undefined;
  readonly #watches: Watch[] = [];
  #tuning: TuningOptions<T> = {};

  /** Does no I/O. */
  constructor(host: ControllerHost) {
    this.#host = host;
  }

  /** Names the queue and the metrics (`name` label). */
  named(name: string): this {
    this.#name = name;
    return this;
  }

  /** The primary resource: its objects are what the reconciler is asked about. */
  for(source: Source<T>, options: ForOptions<T>): this {
    this.#primary = { source, options };
    return this;
  }

  /** Objects whose controller reference points at a primary object queue that object. */
  owns(source: Source<KubeObject>): this {
    if (!this.#primary) throw new RangeError("Call for() before owns()");
    return this.watches(source, byControllerOwner(this.#primary.options.kind));
  }

  /**
   * Objects of `source` queue the primary object that `map` names (none when
   * it returns undefined), for the changes `predicate` lets through (default all).
   */
  watches(source: Source<KubeObject>, map: Watch["map"], predicate?: Watch["predicate"]): this {
    this.#watches.push({ source, map, predicate });
    return this;
  }

  /** Workers, rate limiter, metrics and the other knobs of {@link Controller}. */
  withOptions(tuning: TuningOptions<T>): this {
    this.#tuning = tuning;
    return this;
  }

  /**
   * Registers the controller with the manager, which runs it (on the leader).
   * @throws {RangeError} without a name or a primary resource
   */
  complete(reconciler: Reconciler): void {
    const primary = this.#primary;
    if (!primary) throw new RangeError("A controller needs for()");
    if (!this.#name) throw new RangeError("A controller needs named()");
    const options: ControllerOptions<T> = {
      ...this.#tuning,
      name: this.#name,
      primary: primary.source,
      priority: primary.options.priority,
      updatePredicate: primary.options.updatePredicate,
      watches: [...this.#watches],
      reconciler,
    };
    // Checked now, not at the first election: a bad option fails at start-up.
    checkOptions(options);
    this.#host.addController(() => new Controller<T>(options));
  }
}

/** Starts a controller setup for `host` (controller-runtime's `NewControllerManagedBy`). */
export function controllerManagedBy<T extends KubeObject>(
  host: ControllerHost,
): ControllerBuilder<T> {
  return new ControllerBuilder<T>(host);
}
