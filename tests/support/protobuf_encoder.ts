/**
 * A minimal protobuf writer for tests: builds the bytes that `protobuf.ts`
 * decodes, field by field.
 *
 * @module
 */

/** The bytes of an unsigned varint (exact up to 2^53). */
export function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** A varint field. */
export function intField(number: number, value: number): number[] {
  return [...varint(number * 8), ...varint(value)];
}

/** A length-delimited field holding `bytes`. */
export function bytesField(number: number, bytes: ArrayLike<number>): number[] {
  return [...varint(number * 8 + 2), ...varint(bytes.length), ...Array.from(bytes)];
}

/** A length-delimited field holding UTF-8 `text`. */
export function stringField(number: number, text: string): number[] {
  return bytesField(number, new TextEncoder().encode(text));
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
