/**
 * An HTTP server of `server.ts` as a runnable of the manager: it listens when
 * the manager starts it and stops when the manager stops it.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { serveHttp, type ServeHttpOptions } from "./server.ts";

const log = getLogger(["pgop", "metrics"]);

/** A bound address. */
export interface Address {
  readonly hostname: string;
  readonly port: number;
}

/** Options of {@link HttpRunnable}: those of `serveHttp` but the signal, and a name for the log. */
export type HttpRunnableOptions = Omit<ServeHttpOptions, "signal"> & {
  /** What the log calls it (default "metrics and health"). */
  readonly name?: string;
};

/** Serves `server.ts`'s endpoints (all, or `paths`) from `run()` until its signal aborts. */
export class HttpRunnable {
  readonly #options: HttpRunnableOptions;
  readonly #listening = Promise.withResolvers<Address>();
  #address: Address | undefined;

  /** Does no I/O. */
  constructor(options: HttpRunnableOptions) {
    this.#options = options;
  }

  /** The bound address once listening (port 0 resolved to the chosen one); else undefined. */
  get address(): Address | undefined {
    return this.#address;
  }

  /** Resolves with the bound address once listening. */
  get listening(): Promise<Address> {
    return this.#listening.promise;
  }

  /**
   * Listens (synchronously, so a caller that started it knows the address)
   * and serves until `signal` aborts; resolves once the server stopped.
   * @throws {Deno.errors.AddrInUse} and other errors of binding the address
   */
  async run(signal: AbortSignal): Promise<void> {
    const server = serveHttp({
      ...this.#options,
      signal,
      onError: this.#options.onError ??
        ((error) => log.warn("Request failed: {error}", { error })),
    });
    const address = { hostname: server.hostname, port: server.port };
    this.#address = address;
    this.#listening.resolve(address);
    log.info("Serving {name} on {host}:{port}", {
      name: this.#options.name ?? "metrics and health",
      host: address.hostname,
      port: address.port,
    });
    await server.finished;
  }
}
