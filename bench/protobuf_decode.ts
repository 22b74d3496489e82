/**
 * Decode time of a 10,000-StatefulSet protobuf list, as pgop's StatefulSet
 * cache reads it at cold start (its view in `lib/database/projection.ts`): pgop's decoder on
 * `@bufbuild/protobuf`'s `BinaryReader` (`lib/kube/protobuf.ts`, "bufbuild") against the
 * hand-written wire reader it replaced ("own", kept in `bench/protobuf/own/`). Each run is a new
 * process (a cold JIT, as at pgop's start), A and B alternated; it reports the
 * first decode (cold) and the median of the next five (warm), in CPU time
 * of the process, as the median and range over the runs.
 *
 *   deno run -A bench/protobuf_decode.ts [--runs 7] [--items 10000] [--no-readme]
 *
 * Writes its table in bench/README.md.
 *
 * @module
 */
import assert from "node:assert/strict";
import process from "node:process";
import { parseArgs } from "node:util";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { decodeList } from "../lib/kube/kube_protobuf.ts";
import { newProjections } from "../lib/database/projection.ts";
import { decodeListOwn } from "./protobuf/own/protobuf.ts";
import { machineNote, replaceSection } from "./lib/readme.ts";

type Variant = "own" | "bufbuild";

const STATEFULSET_VIEW = newProjections().views.statefulSet;

/** `k8s\0` + runtime.Unknown{typeMeta, raw: StatefulSetList{metadata, items × n}}. */
async function list(items: number): Promise<Uint8Array> {
  const one = await Deno.readFile(
    new URL("../lib/database/testdata/statefulset.pb", import.meta.url),
  );
  // The capture is an enveloped object: its raw (field 2) is the item.
  const item = decodeRaw(one);
  const raw = new BinaryWriter();
  raw.tag(1, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).string("12345")
    .join();
  for (let i = 0; i < items; i++) raw.tag(2, WireType.LengthDelimited).bytes(item);
  const envelope = new BinaryWriter();
  envelope.tag(1, WireType.LengthDelimited).fork()
    .tag(1, WireType.LengthDelimited).string("apps/v1")
    .tag(2, WireType.LengthDelimited).string("StatefulSetList").join();
  envelope.tag(2, WireType.LengthDelimited).bytes(raw.finish());
  const body = envelope.finish();
  const out = new Uint8Array(4 + body.length);
  out.set([0x6b, 0x38, 0x73, 0x00]);
  out.set(body, 4);
  return out;
}

function decodeRaw(enveloped: Uint8Array): Uint8Array {
  // Field 2 of the envelope, read by hand: neither reader under test.
  let pos = 4;
  const read = () => {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = enveloped[pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  while (pos < enveloped.length) {
    const tag = read();
    const length = read();
    if (tag === (2 << 3 | 2)) return enveloped.subarray(pos, pos + length);
    pos += length;
  }
  throw new Error("No raw in the capture");
}

function decode(variant: Variant, bytes: Uint8Array): unknown[] {
  return variant === "own"
    ? decodeListOwn(bytes, STATEFULSET_VIEW)
    : decodeList(bytes, STATEFULSET_VIEW).items ?? [];
}

/** One process: the cold decode, then five warm ones; prints JSON. */
async function child(variant: Variant, items: number): Promise<void> {
  const bytes = await list(items);
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    // CPU time, not wall time: on a shared machine, time spent waiting for a
    // core is not the decoder's (the process's other threads, GC ones among
    // them, count: their work is the decoder's too).
    const before = process.cpuUsage();
    const out = decode(variant, bytes);
    const used = process.cpuUsage(before);
    times.push((used.user + used.system) / 1000);
    assert.equal(out.length, items);
  }
  const warm = times.slice(1).sort((a, b) => a - b)[2];
  console.log(JSON.stringify({ cold: times[0], warm }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "7" },
      items: { type: "string", default: "10000" },
      child: { type: "string" },
      "no-readme": { type: "boolean", default: false },
    },
  });
  const items = Number(values.items);
  if (values.child) return await child(values.child as Variant, items);

  // Same result from both readers.
  const bytes = await list(3);
  assert.deepEqual(decode("bufbuild", bytes), decode("own", bytes));

  const results: Record<Variant, { cold: number[]; warm: number[] }> = {
    own: { cold: [], warm: [] },
    bufbuild: { cold: [], warm: [] },
  };
  const runs = Number(values.runs);
  for (let run = 0; run < runs; run++) {
    // Alternated, and the order flipped every run, so drift on a shared machine hits both.
    const order: Variant[] = run % 2 === 0 ? ["own", "bufbuild"] : ["bufbuild", "own"];
    for (const variant of order) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", import.meta.filename ?? "", "--child", variant, "--items", `${items}`],
        stderr: "inherit",
      }).output();
      if (!out.success) throw new Error(`The ${variant} run failed`);
      const r = JSON.parse(new TextDecoder().decode(out.stdout));
      results[variant].cold.push(r.cold);
      results[variant].warm.push(r.warm);
    }
  }
  const rows = (["own", "bufbuild"] as const).map((v) => {
    const { cold, warm } = results[v];
    return `| ${v} | ${median(cold).toFixed(1)} (${range(cold)}) | ${median(warm).toFixed(1)} (${
      range(warm)
    }) |`;
  });
  const table = [
    `Decode of a ${
      items.toLocaleString("en")
    }-StatefulSet protobuf list with pgop's StatefulSet view,`,
    `${runs} runs per reader, each a new process, A/B alternated; median (range) of CPU ms`,
    "(user + system of the process: on a shared machine wall time mostly measures the others).",
    `Machine: ${await machineNote()}; ${new Date().toISOString().slice(0, 16)}Z.`,
    "",
    "| reader | first decode (cold JIT) | warm decode |",
    "| ------ | ----------------------- | ----------- |",
    ...rows,
  ].join("\n");
  console.log(table);
  if (!values["no-readme"]) {
    await replaceSection(
      new URL("./README.md", import.meta.url).pathname,
      "protobuf-decode",
      table,
    );
  }
}

if (import.meta.main) await main();
