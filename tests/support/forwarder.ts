/**
 * A TCP forwarder on loopback standing for a Service with at most one
 * endpoint: each new connection goes to the current target, or is closed
 * when there is none (as a Service without ready endpoints refuses).
 *
 * @module
 */

/** The `NAME-rw` Service: forwards each connection to the current target, or refuses it. */
export class Forwarder {
  readonly port: number;
  /** Port of the instance that receives new connections; undefined: none (no endpoints). */
  target: number | undefined;
  readonly #listener: Deno.TcpListener;
  readonly #open = new Set<Deno.TcpConn>();
  readonly #done: Promise<void>;
  readonly #targetHost: string;

  /**
   * Listens on `hostname:port` (default loopback, a free port) and connects
   * to `targetHost` (default loopback).
   */
  constructor(options: { hostname?: string; port?: number; targetHost?: string } = {}) {
    this.#listener = Deno.listen({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 0,
    });
    this.#targetHost = options.targetHost ?? "127.0.0.1";
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#done = this.#accept();
  }

  async #accept(): Promise<void> {
    const piping: Promise<void>[] = [];
    try {
      for await (const conn of this.#listener) piping.push(this.#pipe(conn));
    } catch {
      // Closed.
    }
    await Promise.allSettled(piping);
  }

  async #pipe(conn: Deno.TcpConn): Promise<void> {
    this.#open.add(conn);
    let upstream: Deno.TcpConn | undefined;
    try {
      if (this.target === undefined) return;
      upstream = await Deno.connect({ hostname: this.#targetHost, port: this.target });
      this.#open.add(upstream);
      const up = upstream;
      await Promise.allSettled([
        conn.readable.pipeTo(up.writable),
        up.readable.pipeTo(conn.writable),
      ]);
    } catch {
      // The target refused or went away: the client sees a closed connection.
    } finally {
      for (const c of [conn, upstream]) {
        if (c === undefined) continue;
        this.#open.delete(c);
        try {
          c.close();
        } catch {
          // Already closed by a pipe.
        }
      }
    }
  }

  /** Drops every connection (as kube-proxy's conntrack flush does not, but a stopped pod does). */
  async close(): Promise<void> {
    this.#listener.close();
    for (const c of this.#open) {
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
    await this.#done;
  }
}
