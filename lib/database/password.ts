/**
 * Password generation for new Databases. Not pure (it draws randomness); the
 * reconciler calls it only when no credentials Secret exists yet.
 *
 * @module
 */

/**
 * Characters of generated passwords: letters and digits without the look-alikes
 * 0/O/o, 1/l/I, so a password read aloud or off a screen survives; no symbols,
 * so it needs no quoting in a URI, a shell or a connection string.
 */
export const PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/** Length of generated passwords: 32 of 56 characters is about 185 bits. */
export const DEFAULT_PASSWORD_LENGTH = 32;

/** Options of {@link generatePassword}. */
export interface GeneratePasswordOptions {
  /** Number of characters, 16–1024; default {@link DEFAULT_PASSWORD_LENGTH}. */
  readonly length?: number;
  /** Source of random bytes; default `crypto.getRandomValues`. Tests inject a fixed sequence. */
  readonly getRandomValues?: (array: Uint8Array) => Uint8Array;
}

/**
 * A new random password of characters from {@link PASSWORD_ALPHABET}, each
 * uniformly distributed: random bytes that would favour the first characters
 * (those at or above the largest multiple of the alphabet size) are discarded
 * rather than reduced modulo the alphabet size.
 *
 * @throws {RangeError} when `length` is not an integer in 16–1024
 */
export function generatePassword(options: GeneratePasswordOptions = {}): string {
  const length = options.length ?? DEFAULT_PASSWORD_LENGTH;
  if (!Number.isInteger(length) || length < 16 || length > 1024) {
    throw new RangeError(`Password length must be an integer in 16–1024, got ${length}`);
  }
  const random = options.getRandomValues ?? ((array: Uint8Array) => crypto.getRandomValues(array));
  const size = PASSWORD_ALPHABET.length;
  const limit = 256 - (256 % size);
  let password = "";
  // Extra bytes per round so that one round is almost always enough (one byte in eight is discarded).
  const buffer = new Uint8Array(length + 16);
  while (password.length < length) {
    random(buffer);
    for (const byte of buffer) {
      if (byte >= limit) continue;
      password += PASSWORD_ALPHABET[byte % size];
      if (password.length === length) break;
    }
  }
  return password;
}
