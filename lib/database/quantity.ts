/**
 * Kubernetes resource quantities ("10Gi", "1.5G", "1e9") for whole numbers of
 * bytes: parsing to an exact `bigint`, and canonical text that the API server
 * stores unchanged, so a desired object compares equal to the object read back.
 *
 * The grammar is that of `k8s.io/apimachinery/pkg/api/resource`:
 * `[+-]digits[.digits](Ki|Mi|Gi|Ti|Pi|Ei | m|k|M|G|T|P|E | e[+-]digits)?`.
 *
 * @module
 */

/** How the API server writes a quantity back; chosen by the suffix it was given in. */
export type QuantityFormat = "BinarySI" | "DecimalSI" | "DecimalExponent";

/** Longest quantity text accepted; bounds the work of parsing untrusted input. */
export const MAX_QUANTITY_LENGTH = 64;

/**
 * Largest absolute value accepted: 2^63 - 1, the int64 range in which the API
 * server keeps quantities exact (8 EiB is far beyond any volume).
 */
export const MAX_QUANTITY_VALUE = (1n << 63n) - 1n;

const QUANTITY =
  /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?[0-9]+)|(m|k|M|G|T|P|E))?$/;
const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] as const;
const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_BY_EXPONENT: Readonly<Record<number, string>> = {
  0: "",
  3: "k",
  6: "M",
  9: "G",
  12: "T",
  15: "P",
  18: "E",
};
/** Exponents beyond this cannot give a value within {@link MAX_QUANTITY_VALUE} anyway. */
const MAX_EXPONENT = 40;

/** A parsed whole-number quantity. */
interface Whole {
  readonly value: bigint;
  readonly format: QuantityFormat;
}

function parseWhole(text: string): Whole {
  if (typeof text !== "string") {
    throw new RangeError(`Quantity must be a string, got ${typeof text}`);
  }
  if (text.length > MAX_QUANTITY_LENGTH) {
    throw new RangeError(`Quantity is longer than ${MAX_QUANTITY_LENGTH} characters`);
  }
  const match = QUANTITY.exec(text);
  if (!match) throw new RangeError(`Quantity "${text}" is not a valid quantity`);
  const [, sign, number, binary, exponentText, decimal] = match;
  const [whole, fraction = ""] = number.split(".");
  let numerator = BigInt(`${whole || "0"}${fraction}`);
  let denominator = 10n ** BigInt(fraction.length);
  let format: QuantityFormat = "DecimalSI";
  let exponent = 0;
  if (binary !== undefined) {
    format = "BinarySI";
    numerator *= 1024n ** BigInt(BINARY_SUFFIXES.indexOf(binary as typeof BINARY_SUFFIXES[number]));
  } else if (exponentText !== undefined) {
    format = "DecimalExponent";
    exponent = Number(exponentText);
  } else if (decimal !== undefined) {
    exponent = DECIMAL_SUFFIXES[decimal];
  }
  if (Math.abs(exponent) > MAX_EXPONENT) {
    throw new RangeError(`Quantity "${text}" is out of range`);
  }
  if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator *= 10n ** BigInt(-exponent);
  if (numerator % denominator !== 0n) {
    throw new RangeError(`Quantity "${text}" is not a whole number`);
  }
  const magnitude = numerator / denominator;
  if (magnitude > MAX_QUANTITY_VALUE) {
    throw new RangeError(`Quantity "${text}" is out of range`);
  }
  return { value: sign === "-" ? -magnitude : magnitude, format };
}

/**
 * Parses a quantity that denotes a whole number (of bytes) exactly.
 *
 * Accepts every suffix of the Kubernetes grammar, so "1.5Gi", "1e9" and even
 * "2000m" (= 2) are fine; the sign is kept, so callers check positivity.
 *
 * @throws {RangeError} when `text` is not a quantity, is not a whole number
 *   ("0.5", "1m"), or its magnitude exceeds {@link MAX_QUANTITY_VALUE}
 */
export function parseQuantity(text: string): bigint {
  return parseWhole(text).value;
}

/**
 * The canonical text of a whole-number quantity, as `resource.Quantity`
 * computes it: "1024Mi" → "1Gi", "1000M" → "1G", "1.5Gi" → "1536Mi",
 * "1E3" → "1e3", "1000m" → "1", "512" → "512".
 *
 * Guarantee: the API server stores the result unchanged (it is a fixed point of
 * the server's canonicalisation; checked against kube-apiserver 1.36), so a
 * desired object built with it compares equal to the object read back. The
 * server itself keeps some spellings as written ("1E3", "+10Gi", "010Gi"), so
 * never compare raw user text with what the server returns.
 *
 * The format follows the suffix: binary suffixes stay binary (unless the value
 * is below 1024), an exponent stays an exponent, anything else is decimal SI.
 *
 * @throws {RangeError} as {@link parseQuantity}
 */
export function canonicalizeQuantity(text: string): string {
  const { value, format } = parseWhole(text);
  const negative = value < 0n;
  let amount = negative ? -value : value;
  let suffix: string;
  if (format === "BinarySI" && amount >= 1024n) {
    let power = 0;
    while (amount % 1024n === 0n && power < BINARY_SUFFIXES.length - 1) {
      amount /= 1024n;
      power++;
    }
    suffix = BINARY_SUFFIXES[power];
  } else {
    let exponent = 0;
    while (amount >= 10n && amount % 10n === 0n) {
      amount /= 10n;
      exponent++;
    }
    // The API server only uses exponents that are multiples of three.
    const extra = exponent % 3;
    amount *= 10n ** BigInt(extra);
    exponent -= extra;
    if (format === "DecimalExponent") {
      suffix = exponent === 0 ? "" : `e${exponent}`;
    } else {
      suffix = DECIMAL_BY_EXPONENT[exponent];
    }
  }
  return `${negative ? "-" : ""}${amount}${suffix}`;
}
