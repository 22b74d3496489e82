/**
 * The top-level keys of a JSON object, read from its bytes without parsing
 * what is under them.
 *
 * A child's `managedFields` carry each manager's field set as JSON
 * (`fieldsV1`); pgop only asks which top-level fields a manager owns (see
 * `foreignSpecOwners` in `database/projection.ts`). Parsing those sets whole
 * was 10% of pgop's CPU in a cold start with 10,000 Databases; this scan
 * reads each byte once and builds nothing but the keys.
 *
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The top-level keys of the JSON object in `bytes[start, end)`, each with
 * `{}` as its value: the object's shape one level deep. Strings (with their
 * escapes) are skipped whole, so braces inside them do not count.
 *
 * @throws {SyntaxError} for a key whose escapes are not valid JSON
 * @throws {TypeError} for a key whose bytes are not UTF-8
 */
export function jsonTopLevelKeys(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): Record<string, Record<string, never>> {
  const keys: Record<string, Record<string, never>> = {};
  let depth = 0;
  let expectKey = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      const open = i;
      let escaped = false;
      for (i++; i < end && bytes[i] !== QUOTE; i++) {
        if (bytes[i] === BACKSLASH) {
          escaped = true;
          i++;
        }
      }
      if (depth === 1 && expectKey) {
        const text = utf8.decode(bytes.subarray(open + 1, i));
        keys[escaped ? JSON.parse(`"${text}"`) : text] = {};
        expectKey = false;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth === 1) expectKey = c === OPEN_BRACE;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COMMA && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}
