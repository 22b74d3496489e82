/**
 * Protobuf bytes for tests, written with `@bufbuild/protobuf`'s
 * `BinaryWriter` (a conformance-tested encoder): what pgop's own decoder
 * (`lib/kube/protobuf.ts`) is checked against. Fields are byte arrays that
 * concatenate, so a test spells a message field by field.
 *
 * @module
 */
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

function bytesOf(write: (w: BinaryWriter) => void): number[] {
  const writer = new BinaryWriter();
  write(writer);
  return Array.from(writer.finish());
}

/** The bytes of an unsigned varint (exact up to 2^53). */
export function varint(value: number): number[] {
  return bytesOf((w) => w.uint64(value));
}

/** A varint field. */
export function intField(number: number, value: number): number[] {
  return bytesOf((w) => w.tag(number, WireType.Varint).uint64(value));
}

/** A length-delimited field holding `bytes`. */
export function bytesField(number: number, bytes: ArrayLike<number>): number[] {
  return bytesOf((w) => w.tag(number, WireType.LengthDelimited).bytes(Uint8Array.from(bytes)));
}

/** A length-delimited field holding UTF-8 `text`. */
export function stringField(number: number, text: string): number[] {
  return bytesOf((w) => w.tag(number, WireType.LengthDelimited).string(text));
}

/** A message field made of the concatenated `fields`. */
export function messageField(number: number, ...fields: number[][]): number[] {
  return bytesField(number, fields.flat());
}

/** `k8s\0` + `runtime.Unknown{typeMeta{apiVersion, kind}, raw}`. */
export function envelope(apiVersion: string, kind: string, raw: number[]): Uint8Array {
  return new Uint8Array([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...messageField(1, stringField(1, apiVersion), stringField(2, kind)),
    ...bytesField(2, raw),
  ]);
}
