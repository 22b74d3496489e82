/**
 * Fixtures for the reflector's unit tests: objects, pages, watch events, and
 * a reflector on a scripted client and a fake clock that records what it says.
 *
 * @module
 */
import { ApiError } from "../../lib/kube/errors.ts";
import { Resources } from "../../lib/kube/resource.ts";
import type { KubeObject, ListPage, WatchEvent } from "../../lib/kube/types.ts";
import { FakeClock } from "./fake_clock.ts";
import { ScriptedClient } from "./scripted_client.ts";
import { Reflector } from "../../lib/cache/reflector.ts";
import { type ReflectorOptions } from "../../lib/cache/reflector_options.ts";
import { INITIAL_EVENTS_END_ANNOTATION } from "../../lib/cache/reflector_state.ts";
import { IndexedStore } from "../../lib/cache/store.ts";

export const obj = (name: string, rv: string): KubeObject => ({
  apiVersion: "database.example.com/v1",
  kind: "Database",
  metadata: { namespace: "ns", name, resourceVersion: rv },
});
export const page = (rv: string, items: KubeObject[], cont?: string): ListPage<KubeObject> => ({
  items,
  resourceVersion: rv,
  continue: cont,
});
export const added = (o: KubeObject): WatchEvent<KubeObject> => ({ type: "ADDED", object: o });
export const modified = (o: KubeObject): WatchEvent<KubeObject> => ({
  type: "MODIFIED",
  object: o,
});
export const deleted = (o: KubeObject): WatchEvent<KubeObject> => ({ type: "DELETED", object: o });
export const bookmark = (rv: string, end = false): WatchEvent<KubeObject> => ({
  type: "BOOKMARK",
  object: {
    metadata: {
      resourceVersion: rv,
      ...(end ? { annotations: { [INITIAL_EVENTS_END_ANNOTATION]: "true" } } : {}),
    },
  },
});
export const gone = () =>
  new ApiError(410, { code: 410, reason: "Expired", message: "too old resource version" });

/** Runs a reflector against a scripted client on a fake clock and records what it says. */
export function harness(options: ReflectorOptions<KubeObject> = {}) {
  const clock = new FakeClock();
  const client = new ScriptedClient();
  const store = new IndexedStore<KubeObject>();
  const seen: string[] = [];
  const lists: string[] = [];
  const restarts: string[] = [];
  const errors: unknown[] = [];
  const name = (o: KubeObject) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`;
  const reflector = new Reflector(client, Resources.databases, store, {
    clock,
    random: () => 0,
    useWatchList: false,
    handler: {
      onAdd: (o) => seen.push(`add ${name(o)}`),
      onUpdate: (a, b) => seen.push(`update ${name(a)} -> ${name(b)}`),
      onDelete: (o) => seen.push(`delete ${name(o)}`),
    },
    hooks: {
      onList: ({ reason, streaming }) => lists.push(`${reason}${streaming ? " streaming" : ""}`),
      onWatchRestart: ({ reason, resourceVersion }) =>
        restarts.push(`${reason} ${resourceVersion}`),
      onError: (error) => errors.push(error),
    },
    ...options,
  });
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  return {
    clock,
    client,
    store,
    reflector,
    seen,
    lists,
    restarts,
    errors,
    start() {
      running = reflector.run(controller.signal);
    },
    async stop() {
      controller.abort();
      await running;
    },
    methods: () => client.calls.map((c) => c.method),
    lastWatch: () => client.callsOf("watch").at(-1)?.options,
  };
}

/** Lets the reflector run until `condition` holds (microtasks only; no time passes). */
export async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (condition()) return;
    await Promise.resolve();
  }
  throw new Error("Condition not reached");
}
