/**
 * The protobuf wire format at its lowest level (https://protobuf.dev/programming-guides/encoding/):
 * a bounds-checked cursor over tags, varints and length-delimited ranges, and
 * text without copies. `protobuf.ts` decodes messages with it.
 *
 * pgop's own, as it was before pgop moved onto `@bufbuild/protobuf` (commit
 * 63fb03a), kept for the A/B benchmark `bench/protobuf_decode.ts`.
 *
 * @module
 */

/** Thrown for bytes that are not the protobuf encoding they should be. */
export class ProtobufError extends Error {
  override name = "ProtobufError";
}

/** Wire type of varints. */
export const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
/** Wire type of strings, bytes and embedded messages. */
export const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** A cursor over a byte range; every read checks the range. */
export class ProtoReader {
  pos: number;

  constructor(readonly bytes: Uint8Array, start = 0, readonly end = bytes.length) {
    this.pos = start;
  }

  /** An unsigned varint as a number (exact up to 2^53). */
  varint(): number {
    const bytes = this.bytes;
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError("Truncated varint");
      const byte = bytes[this.pos++];
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new ProtobufError("Varint longer than 10 bytes");
  }

  /** Number of the field just read by {@link next}. */
  field = 0;
  /** Wire type of the field just read by {@link next}. */
  wireType = 0;
  /** Start of the value read by {@link lengthDelimited}. */
  valueStart = 0;
  /** End (exclusive) of the value read by {@link lengthDelimited}. */
  valueEnd = 0;

  /** Reads the next field's tag into `field` and `wireType`; false at the end. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const tag = this.varint();
    this.field = Math.floor(tag / 8);
    this.wireType = tag & 7;
    return true;
  }

  /** Reads a length-delimited value's range into `valueStart`/`valueEnd`; the cursor moves past it. */
  lengthDelimited(): void {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) throw new ProtobufError("Length-delimited field runs past its message");
    this.valueStart = this.pos;
    this.valueEnd = end;
    this.pos = end;
  }

  /** Skips a value of `wireType`. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.pos += 8;
        break;
      case WIRE_LENGTH:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        this.pos += 4;
        break;
      default:
        throw new ProtobufError(`Unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new ProtobufError("Fixed-size field runs past its message");
  }
}

/**
 * UTF-8 text of `bytes[start, end)`, as a flat string (a string built by
 * concatenation would be a chain of pieces: several times the memory of a
 * cached name). Short ASCII strings skip the TextDecoder call.
 */
export function decodeText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 16) {
    for (let i = start; i < end; i++) {
      if (bytes[i] >= 0x80) return utf8.decode(bytes.subarray(start, end));
    }
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  return utf8.decode(bytes.subarray(start, end));
}

/**
 * The byte range of length-delimited field `number` in `bytes[start, end)`
 * (the last occurrence, as protobuf merges), without copying.
 */
export function fieldRange(
  bytes: Uint8Array,
  number: number,
  start = 0,
  end = bytes.length,
): [number, number] | undefined {
  let found: [number, number] | undefined;
  const reader = new ProtoReader(bytes, start, end);
  while (reader.next()) {
    if (reader.field === number && reader.wireType === WIRE_LENGTH) {
      reader.lengthDelimited();
      found = [reader.valueStart, reader.valueEnd];
    } else {
      reader.skip(reader.wireType);
    }
  }
  return found;
}
