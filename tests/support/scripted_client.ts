/**
 * A scripted, in-memory {@link KubeClient} for unit tests of list/watch code:
 * the test queues list answers and watch streams in the order the code under
 * test will ask for them, and reads back every call it made.
 *
 * When the code asks for more than was scripted, the call blocks until the
 * test queues more or the request's signal aborts; {@link ScriptedClient.settled}
 * resolves when that happens, which is how a test knows the code is "parked".
 * A stream left open ("hang") takes more events with {@link ScriptedClient.send}
 * and ends with {@link ScriptedClient.finish}. Only list and watch are
 * scripted; every other method rejects.
 *
 * @module
 */
import type { Resource } from "../../lib/kube/resource.ts";
import type {
  KubeClient,
  KubeObject,
  ListOptions,
  ListPage,
  WatchEvent,
  WatchOptions,
} from "../../lib/kube/types.ts";

/** One scripted watch stream: its events, then how it finishes. */
export interface WatchScript {
  readonly events?: ReadonlyArray<WatchEvent<KubeObject>>;
  /**
   * After the events: "end" closes the stream normally, an `Error` is thrown
   * from the iteration (a broken connection, or an `ApiError` refusing the
   * watch), "hang" (default) keeps it open until {@link ScriptedClient.finish}
   * or the signal aborts.
   */
  readonly then?: "end" | "hang" | Error;
}

/** A recorded call (options without the signal). */
export type ScriptedCall =
  | {
    readonly method: "list";
    readonly resource: Resource;
    readonly options: Omit<ListOptions, "signal">;
  }
  | {
    readonly method: "watch";
    readonly resource: Resource;
    readonly options: Omit<WatchOptions, "signal">;
  };

type Waiter = () => void;

interface OpenStream {
  readonly items: WatchEvent<KubeObject>[];
  then: WatchScript["then"];
}

const isTerminal = (then: WatchScript["then"]) => then === "end" || then instanceof Error;

/** The scripted test double. Not for production use. */
export class ScriptedClient implements KubeClient {
  readonly #lists: Array<ListPage<KubeObject> | Error> = [];
  readonly #watches: WatchScript[] = [];
  readonly #calls: ScriptedCall[] = [];
  /** Calls waiting in #block, each with what would unblock it. */
  readonly #blocked = new Set<{ readonly signal?: AbortSignal; readonly ready: () => boolean }>();
  readonly #open = new Set<OpenStream>();
  #settledWaiters: Waiter[] = [];
  #scriptWaiters: Waiter[] = [];

  /** Every list and watch call so far, in order. */
  get calls(): readonly ScriptedCall[] {
    return this.#calls;
  }

  /** Calls of one method, in order. */
  callsOf<M extends ScriptedCall["method"]>(method: M): Extract<ScriptedCall, { method: M }>[] {
    return this.#calls.filter((c): c is Extract<ScriptedCall, { method: M }> =>
      c.method === method
    );
  }

  /** Queues answers for the next list calls: a page, or an error to reject with. */
  onList(...answers: Array<ListPage<KubeObject> | Error>): this {
    this.#lists.push(...answers);
    this.#wakeScriptWaiters();
    return this;
  }

  /** Queues the streams of the next watch calls. */
  onWatch(...scripts: WatchScript[]): this {
    this.#watches.push(...scripts);
    this.#wakeScriptWaiters();
    return this;
  }

  /**
   * Resolves when some call is blocked (script exhausted or a hanging stream);
   * at once if one is now. A call that a newly queued script will unblock does
   * not count, so `onWatch(…)` then `await settled()` waits for the code to move on.
   */
  settled(): Promise<void> {
    if (this.#parked()) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  async list<T extends KubeObject>(
    resource: Resource,
    options: ListOptions = {},
  ): Promise<ListPage<T>> {
    const { signal, ...rest } = options;
    this.#calls.push({ method: "list", resource, options: rest });
    const answer = await this.#take(this.#lists, signal);
    if (answer === undefined) throw signal?.reason;
    if (answer instanceof Error) throw answer;
    return answer as ListPage<T>;
  }

  async *watch<T extends KubeObject>(
    resource: Resource,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const { signal, ...rest } = options;
    this.#calls.push({ method: "watch", resource, options: rest });
    const script = await this.#take(this.#watches, signal);
    if (script === undefined) return;
    // The open stream: scripted events first, then whatever send()/finish() add.
    const stream: OpenStream = { items: [...(script.events ?? [])], then: script.then };
    this.#open.add(stream);
    try {
      for (;;) {
        await this.#block(signal, () => stream.items.length > 0 || isTerminal(stream.then));
        if (signal?.aborted) return;
        const event = stream.items.shift();
        if (event) {
          yield event as WatchEvent<T>;
          continue;
        }
        if (stream.then instanceof Error) throw stream.then;
        return;
      }
    } finally {
      this.#open.delete(stream);
    }
  }

  /**
   * Delivers events on the most recently opened stream that is still open
   * (after its scripted events).
   * @throws {Error} when no stream is open
   */
  send(...events: WatchEvent<KubeObject>[]): void {
    this.#latestStream().items.push(...events);
    this.#wakeScriptWaiters();
  }

  /**
   * Makes the most recently opened stream end ("end") or throw (an `Error`)
   * once its pending events are delivered.
   * @throws {Error} when no stream is open
   */
  finish(then: "end" | Error): void {
    this.#latestStream().then = then;
    this.#wakeScriptWaiters();
  }

  /** Number of watch streams currently open. */
  get openStreams(): number {
    return this.#open.size;
  }

  get(): Promise<never> {
    return notScripted("get");
  }
  create(): Promise<never> {
    return notScripted("create");
  }
  update(): Promise<never> {
    return notScripted("update");
  }
  apply(): Promise<never> {
    return notScripted("apply");
  }
  patch(): Promise<never> {
    return notScripted("patch");
  }
  delete(): Promise<never> {
    return notScripted("delete");
  }

  /** The next scripted answer, waiting for one; undefined when the signal aborted first. */
  #latestStream(): OpenStream {
    const stream = [...this.#open].at(-1);
    if (!stream) throw new Error("ScriptedClient: no watch stream is open");
    return stream;
  }

  async #take<A>(queue: A[], signal: AbortSignal | undefined): Promise<A | undefined> {
    if (queue.length === 0) await this.#block(signal, () => queue.length > 0);
    if (signal?.aborted) return undefined;
    return queue.shift();
  }

  /** Counts as blocked until `ready()` holds after a script is queued, or `signal` aborts. */
  async #block(signal: AbortSignal | undefined, ready: () => boolean): Promise<void> {
    if (signal?.aborted || ready()) return;
    const entry = { signal, ready };
    this.#blocked.add(entry);
    try {
      while (!signal?.aborted && !ready()) {
        for (const waiter of this.#settledWaiters.splice(0)) waiter();
        await new Promise<void>((resolve) => {
          const wake = () => {
            signal?.removeEventListener("abort", wake);
            resolve();
          };
          this.#scriptWaiters.push(wake);
          signal?.addEventListener("abort", wake, { once: true });
        });
      }
    } finally {
      this.#blocked.delete(entry);
    }
  }

  #parked(): boolean {
    for (const { signal, ready } of this.#blocked) {
      if (!signal?.aborted && !ready()) return true;
    }
    return false;
  }

  #wakeScriptWaiters(): void {
    for (const waiter of this.#scriptWaiters.splice(0)) waiter();
  }
}

function notScripted(method: string): Promise<never> {
  return Promise.reject(new Error(`ScriptedClient.${method}() is not scripted`));
}
