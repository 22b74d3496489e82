/**
 * Free loopback ports for the local control plane's components.
 *
 * @module
 */

/**
 * Returns `count` distinct TCP ports on 127.0.0.1 that were free a moment ago.
 * (A port may be taken between this call and its use; components then fail to
 * start with a clear "address already in use" in their log.)
 */
export function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of listeners) l.close();
  return ports;
}
