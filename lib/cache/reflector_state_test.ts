import assert from "node:assert/strict";
import { ApiError, TransportError } from "../kube/errors.ts";
import type { KubeObject, WatchEvent } from "../kube/types.ts";
import {
  INITIAL_EVENTS_END_ANNOTATION,
  listState,
  type ReflectorInput,
  type ReflectorState,
  SHORT_WATCH_MS,
  ShortWatchError,
  type Step,
  step,
  StreamingListIncompleteError,
} from "./reflector_state.ts";

const obj = (name: string, rv: string): KubeObject => ({
  metadata: { namespace: "ns", name, resourceVersion: rv },
});
const event = (e: WatchEvent<KubeObject>): ReflectorInput<KubeObject> => ({
  type: "event",
  event: e,
});
const failed = (error: unknown): ReflectorInput<KubeObject> => ({ type: "failed", error });
const watching = (rv: string): ReflectorState<KubeObject> => ({
  phase: "Watching",
  resourceVersion: rv,
});
const paged = { watchList: false };
const streaming = { watchList: true };

Deno.test("step() Listing: follows continue tokens, then replaces with every page's items", () => {
  let state = listState<KubeObject>(false);
  let result = step(state, {
    type: "page",
    page: { items: [obj("a", "1")], resourceVersion: "9", continue: "c1" },
  }, paged);
  assert.equal(result.action.kind, "none");
  state = result.state;
  assert.equal(state.phase === "Listing" && state.continue, "c1");
  result = step(
    state,
    { type: "page", page: { items: [obj("b", "2")], resourceVersion: "10" } },
    paged,
  );
  assert.deepEqual(result.state, watching("10"));
  assert.equal(result.action.kind, "replace");
  if (result.action.kind === "replace") {
    assert.deepEqual(result.action.items.map((o) => o.metadata?.name), ["a", "b"]);
    assert.equal(result.action.resourceVersion, "10");
  }
});

Deno.test("step() Listing: an expired continue token restarts with one full list, at once", () => {
  const state: ReflectorState<KubeObject> = {
    phase: "Listing",
    continue: "c1",
    full: false,
    items: [obj("a", "1")],
  };
  const result = step(state, failed(new ApiError(410, { reason: "Expired" })), paged);
  assert.equal(result.action.kind, "relist");
  assert.deepEqual(result.state, { phase: "Listing", continue: undefined, full: true, items: [] });
  const done = step(result.state, {
    type: "page",
    page: { items: [], resourceVersion: "5", continue: "x" },
  }, paged);
  assert.equal(done.action.kind, "replace", "a full list ignores a continue token");
});

Deno.test("step() Listing: other errors retry the same page after backoff", () => {
  const state: ReflectorState<KubeObject> = {
    phase: "Listing",
    continue: "c1",
    full: false,
    items: [],
  };
  for (
    const error of [new TransportError("GET /x", new Error("reset")), new ApiError(403, undefined)]
  ) {
    const result: Step<KubeObject> = step(state, failed(error), paged);
    assert.equal(result.action.kind, "retry");
    assert.equal(result.state, state);
  }
});

Deno.test("step() StreamingList: buffers initial events until the initial-events-end bookmark", () => {
  let state = listState<KubeObject>(true);
  for (
    const input of [
      event({ type: "ADDED", object: obj("a", "1") }),
      event({ type: "ADDED", object: obj("b", "2") }),
      event({ type: "BOOKMARK", object: { metadata: { resourceVersion: "3" } } }),
    ]
  ) {
    const result = step(state, input, streaming);
    assert.equal(result.action.kind, "none");
    state = result.state;
  }
  const end = step(
    state,
    event({
      type: "BOOKMARK",
      object: {
        metadata: {
          resourceVersion: "7",
          annotations: { [INITIAL_EVENTS_END_ANNOTATION]: "true" },
        },
      },
    }),
    streaming,
  );
  assert.deepEqual(end.state, watching("7"));
  assert.equal(end.action.kind === "replace" && end.action.items.length, 2);
  // The watch that delivered the list goes on and still holds the old state:
  // its buffer must not keep every object (and their later replaced versions) alive.
  assert.equal(state.phase === "StreamingList" && state.items.size, 0);
});

Deno.test("step() StreamingList: a 4xx or an early end falls back; 5xx and transport errors retry", () => {
  const state = listState<KubeObject>(true);
  for (const code of [400, 403, 404, 410, 422]) {
    const result = step(state, failed(new ApiError(code, undefined)), streaming);
    assert.equal(result.action.kind, "fallback", `code ${code}`);
    assert.equal(result.state.phase, "Listing");
  }
  const ended = step(state, { type: "ended", events: 3, durationMs: 10 }, streaming);
  assert.equal(
    ended.action.kind === "fallback" && ended.action.error instanceof StreamingListIncompleteError,
    true,
  );
  for (
    const error of [
      new ApiError(429, undefined),
      new ApiError(500, undefined),
      new TransportError("GET", "x"),
    ]
  ) {
    const result = step(state, failed(error), streaming);
    assert.equal(result.action.kind, "retry");
    assert.equal(result.state.phase, "StreamingList");
  }
});

Deno.test("step() Watching: events and bookmarks advance the resourceVersion", () => {
  const added = step(watching("5"), event({ type: "ADDED", object: obj("a", "6") }), paged);
  assert.deepEqual(added.state, watching("6"));
  assert.deepEqual(added.action, {
    kind: "apply",
    type: "ADDED",
    object: obj("a", "6"),
    resourceVersion: "6",
  });
  const bookmark = step(
    watching("6"),
    event({ type: "BOOKMARK", object: { metadata: { resourceVersion: "9" } } }),
    paged,
  );
  assert.deepEqual(bookmark.state, watching("9"));
  assert.deepEqual(bookmark.action, { kind: "bookmark", resourceVersion: "9" });
});

Deno.test("step() Watching: a stream end resumes at the same resourceVersion without backoff", () => {
  const result = step(watching("6"), { type: "ended", events: 4, durationMs: 300_000 }, paged);
  assert.deepEqual(result, { state: watching("6"), action: { kind: "none" } });
  const slowQuiet = step(
    watching("6"),
    { type: "ended", events: 0, durationMs: SHORT_WATCH_MS },
    paged,
  );
  assert.equal(slowQuiet.action.kind, "none");
});

Deno.test("step() Watching: a very short empty watch backs off and resumes", () => {
  const result = step(watching("6"), { type: "ended", events: 0, durationMs: 5 }, paged);
  assert.deepEqual(result.state, watching("6"));
  assert.equal(
    result.action.kind === "retry" && result.action.error instanceof ShortWatchError,
    true,
  );
});

Deno.test("step() Watching: transport and other API errors back off and resume at the same version", () => {
  for (
    const error of [
      new TransportError("GET", "reset"),
      new ApiError(500, undefined),
      new ApiError(403, undefined),
    ]
  ) {
    const result = step(watching("6"), failed(error), paged);
    assert.deepEqual(result.state, watching("6"));
    assert.equal(result.action.kind, "retry");
  }
  const errorEvent = step(
    watching("6"),
    event({ type: "ERROR", object: { code: 500, reason: "InternalError" } }),
    paged,
  );
  assert.equal(errorEvent.action.kind, "retry");
});

Deno.test("step() Watching: 410 Gone relists (streaming when enabled), from an error or an ERROR event", () => {
  const inputs = [
    failed(new ApiError(410, { reason: "Gone" })),
    event({
      type: "ERROR",
      object: { code: 410, reason: "Expired", message: "too old resource version" },
    }),
    event({ type: "ERROR", object: { reason: "Expired" } }),
  ];
  for (const input of inputs) {
    const result = step(watching("6"), input, paged);
    assert.equal(result.action.kind, "relist");
    assert.equal(result.state.phase, "Listing");
    assert.equal(step(watching("6"), input, streaming).state.phase, "StreamingList");
  }
});
