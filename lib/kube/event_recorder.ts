/**
 * Kubernetes Events about an object (`kubectl describe` shows them), with the
 * spam filter of client-go's event correlator: the same event for the same
 * object is posted at most once per {@link DEFAULT_EVENT_DEDUPE_MS}. Posting is
 * best effort: a failure is logged, never thrown, since an event must not make
 * a reconcile fail.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Clock, realClock } from "../clock.ts";
import { Resources } from "./resource.ts";
import type { KubeClient, KubeObject } from "./types.ts";

const log = getLogger(["pgop", "events"]);

/** The same event about the same object is not posted again within this window. */
export const DEFAULT_EVENT_DEDUPE_MS = 10 * 60_000;
/** Events remembered for de-duplication; the oldest are forgotten first. */
const MAX_REMEMBERED = 10_000;

/** What an event says. */
export interface EventInfo {
  readonly type: "Normal" | "Warning";
  /** UpperCamelCase, e.g. "InvalidSpec". */
  readonly reason: string;
  readonly message: string;
}

/** Posts events about objects. */
export interface EventRecorder {
  /** Posts (or skips as a duplicate) an event about `object`; never throws. */
  record(object: KubeObject, event: EventInfo): Promise<void>;
}

/** An {@link EventRecorder} writing `v1` Events through a {@link KubeClient}. */
export class KubeEventRecorder implements EventRecorder {
  readonly #client: KubeClient;
  readonly #component: string;
  readonly #clock: Clock;
  readonly #dedupeMs: number;
  /** key → last posted (monotonic ms); insertion order = age. */
  readonly #recent = new Map<string, number>();

  constructor(
    client: KubeClient,
    options: { component: string; clock?: Clock; dedupeMs?: number },
  ) {
    this.#client = client;
    this.#component = options.component;
    this.#clock = options.clock ?? realClock;
    this.#dedupeMs = options.dedupeMs ?? DEFAULT_EVENT_DEDUPE_MS;
  }

  async record(object: KubeObject, event: EventInfo): Promise<void> {
    const meta = object.metadata ?? {};
    const key = `${meta.uid}\u0000${event.type}\u0000${event.reason}\u0000${event.message}`;
    const now = this.#clock.now();
    const last = this.#recent.get(key);
    if (last !== undefined && now - last < this.#dedupeMs) return;
    this.#recent.delete(key);
    this.#recent.set(key, now);
    if (this.#recent.size > MAX_REMEMBERED) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    const time = new Date(this.#clock.wallNow()).toISOString().replace(/\.\d+Z$/, "Z");
    const namespace = meta.namespace ?? "default";
    try {
      await this.#client.create(Resources.events, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${meta.name ?? "object"}.`, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        type: event.type,
        reason: event.reason,
        message: event.message.slice(0, 1024),
        source: { component: this.#component },
        reportingComponent: this.#component,
        reportingInstance: this.#component,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
      } as KubeObject, { namespace });
    } catch (error) {
      log.warn("Could not post event {reason} about {namespace}/{name}", {
        reason: event.reason,
        namespace: meta.namespace,
        name: meta.name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
