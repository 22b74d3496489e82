/**
 * A small cache of authorization decisions, so that a scraper asking every
 * 15 s costs the API server two reviews a few times an hour, not two per
 * scrape. Keyed by a SHA-256 of the credential (the token itself is never
 * kept); bounded in size; concurrent lookups of one key share one load;
 * failures are not cached.
 *
 * @module
 */
import { type Clock, realClock } from "../clock.ts";

/**
 * How long an allowed token is trusted without asking again. A revoked token
 * or a removed role binding takes effect within this time (kube-rbac-proxy
 * and controller-runtime's authentication filter cache for minutes too).
 */
export const POSITIVE_TTL_MS = 120_000;
/** How long a refused token stays refused: short, so a newly granted role works soon. */
export const NEGATIVE_TTL_MS = 10_000;
/** Distinct credentials remembered; the oldest go first. Scrapers are few. */
export const MAX_ENTRIES = 256;

/** A loaded value and whether it may be kept for the positive or the negative time. */
export interface Loaded<V> {
  readonly value: V;
  readonly positive: boolean;
}

/** Options of {@link AuthCache}. */
export interface AuthCacheOptions {
  readonly positiveTtlMs?: number;
  readonly negativeTtlMs?: number;
  readonly maxEntries?: number;
  readonly clock?: Clock;
}

/** Decisions per credential, with the expiry rules above. */
export class AuthCache<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly expires: number }>();
  readonly #loading = new Map<string, Promise<V>>();
  readonly #positiveTtlMs: number;
  readonly #negativeTtlMs: number;
  readonly #maxEntries: number;
  readonly #clock: Clock;

  /** @throws {RangeError} for a negative time or a size below 1 */
  constructor(options: AuthCacheOptions = {}) {
    const {
      positiveTtlMs = POSITIVE_TTL_MS,
      negativeTtlMs = NEGATIVE_TTL_MS,
      maxEntries = MAX_ENTRIES,
    } = options;
    if (!(positiveTtlMs >= 0) || !(negativeTtlMs >= 0)) {
      throw new RangeError("Cache times must be >= 0");
    }
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be an integer >= 1, got ${maxEntries}`);
    }
    this.#positiveTtlMs = positiveTtlMs;
    this.#negativeTtlMs = negativeTtlMs;
    this.#maxEntries = maxEntries;
    this.#clock = options.clock ?? realClock;
  }

  /** Entries held (expired ones included until they are looked up or pushed out). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The cached value for `credential`, else `load()`'s (kept unless it
   * rejects). Concurrent calls for one credential share one `load()`.
   */
  async get(credential: string, load: () => Promise<Loaded<V>>): Promise<V> {
    const key = await digest(credential);
    const entry = this.#entries.get(key);
    if (entry && entry.expires > this.#clock.now()) return entry.value;
    this.#entries.delete(key);
    const pending = this.#loading.get(key);
    if (pending) return await pending;
    const loading = load().then((loaded) => {
      const ttl = loaded.positive ? this.#positiveTtlMs : this.#negativeTtlMs;
      this.#entries.set(key, { value: loaded.value, expires: this.#clock.now() + ttl });
      // Maps iterate in insertion order: the first key is the oldest entry.
      while (this.#entries.size > this.#maxEntries) {
        this.#entries.delete(this.#entries.keys().next().value as string);
      }
      return loaded.value;
    }).finally(() => this.#loading.delete(key));
    this.#loading.set(key, loading);
    return await loading;
  }
}

async function digest(text: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
}
