/**
 * A scripted HTTP server on 127.0.0.1 for the REST client's unit tests: it
 * records every request and answers each with the next queued reply.
 * Test support only; never imported by production code.
 *
 * @module
 */
import type { ConnectionConfig } from "../../lib/kube/kubeconfig.ts";

/** A request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. "/api/v1/pods?limit=5". */
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
}

/** Builds the answer to one request. */
export type Reply = (request: RecordedRequest) => Response | Promise<Response>;

/** Options of {@link FakeApiServer}. */
export interface FakeApiServerOptions {
  /** PEM certificate and key: serve HTTPS instead of HTTP. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** The scripted server. Close it with {@link FakeApiServer.close}. */
export class FakeApiServer implements AsyncDisposable {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  readonly #replies: Reply[] = [];
  readonly #waiters: { readonly count: number; readonly resolve: () => void }[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #scheme: string;
  readonly #closing = Promise.withResolvers<void>();

  constructor(options: FakeApiServerOptions = {}) {
    const listen = { hostname: "127.0.0.1", port: 0, onListen: () => {} };
    const handler = (req: Request) => this.#handle(req);
    this.#server = options.tls
      ? Deno.serve({ ...listen, cert: options.tls.cert, key: options.tls.key }, handler)
      : Deno.serve(listen, handler);
    this.#scheme = options.tls ? "https" : "http";
  }

  /** Base URL, e.g. "http://127.0.0.1:40123". */
  get url(): string {
    return `${this.#scheme}://127.0.0.1:${this.#server.addr.port}`;
  }

  /** A ConnectionConfig for this server with the given extras. */
  config(extra: Partial<ConnectionConfig> = {}): ConnectionConfig {
    return {
      server: this.url,
      insecureSkipTlsVerify: false,
      authHeader: () => Promise.resolve(undefined),
      context: "test",
      user: "test",
      source: "test",
      ...extra,
    };
  }

  /** Queues the answer to the next request that has none yet. */
  reply(...replies: Reply[]): this {
    this.#replies.push(...replies);
    return this;
  }

  /** Queues a JSON answer. */
  json(status: number, body: unknown, headers: Record<string, string> = {}): this {
    return this.reply(() =>
      new Response(JSON.stringify(body), {
        status,
        headers: { "Content-Type": "application/json", ...headers },
      })
    );
  }

  /**
   * Queues a reply that never comes: the request hangs until {@link close}
   * (which then answers 503 to a client that has usually gone away).
   */
  hang(): this {
    return this.reply(async () => {
      await this.#closing.promise;
      return new Response("closed", { status: 503 });
    });
  }

  /** Resolves once `count` requests have arrived in total. */
  arrivals(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ count, resolve });
    return promise;
  }

  /** Releases hanging requests and stops the server after in-flight requests finish. */
  async close(): Promise<void> {
    this.#closing.resolve();
    await this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const recorded: RecordedRequest = {
      method: req.method,
      path: url.pathname + url.search,
      headers: req.headers,
      body: await req.text(),
    };
    this.requests.push(recorded);
    for (const waiter of this.#waiters.filter((w) => this.requests.length >= w.count)) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const reply = this.#replies.shift();
    if (!reply) return new Response("no reply queued", { status: 599 });
    return await reply(recorded);
  }
}
