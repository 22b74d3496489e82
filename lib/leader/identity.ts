/**
 * The identity a leader-election candidate writes into the Lease.
 *
 * @module
 */

/**
 * A candidate identity: `${HOSTNAME or Deno.hostname()}_${8 random hex digits}`;
 * the suffix keeps two processes on one host (or a restarted pod) distinct.
 * Falls back to "pgop" as the host part without env/sys permissions.
 */
export function defaultIdentity(): string {
  const suffix = Array.from(
    crypto.getRandomValues(new Uint8Array(4)),
    (b) => b.toString(16).padStart(2, "0"),
  );
  return `${hostName()}_${suffix.join("")}`;
}

function hostName(): string {
  // Without --allow-env / --allow-sys these throw NotCapable; the random suffix still makes the
  // identity unique, so a fixed host part is an acceptable fallback.
  try {
    const fromEnv = Deno.env.get("HOSTNAME");
    if (fromEnv) return fromEnv;
  } catch { /* fall through to the system host name */ }
  try {
    return Deno.hostname();
  } catch {
    return "pgop";
  }
}
