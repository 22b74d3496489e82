/**
 * A self-signed certificate for the secure metrics endpoint, made in memory
 * at start when no `--metrics-cert-dir` is given (kubebuilder's default too):
 * the connection is encrypted, and scrapers that do not pin it skip
 * verification. The key never leaves the process.
 *
 * @module
 */
import { type Clock, realClock } from "../clock.ts";

/** A PEM certificate and its PKCS #8 private key, as `Deno.serve` takes them. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/** How long a generated certificate is valid; pgop makes a new one at every start. */
export const SELF_SIGNED_VALIDITY_MS = 365 * 24 * 3600 * 1000;

/** ECDSA P-256 with SHA-256: small, fast to make, accepted by every TLS client. */
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** Options of {@link selfSignedCertificate}. */
export interface SelfSignedOptions {
  /** DNS names and IP addresses the certificate names; default localhost and loopback. */
  readonly hosts?: readonly string[];
  readonly clock?: Clock;
}

/**
 * Makes a key pair with WebCrypto and a self-signed X.509 v3 certificate for
 * `hosts` (with `@peculiar/x509`, imported on first use: it needs the
 * `reflect-metadata` polyfill, which pgop loads only then). Needs no
 * permission.
 */
export async function selfSignedCertificate(options: SelfSignedOptions = {}): Promise<TlsFiles> {
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  const { hosts = ["localhost", "127.0.0.1"], clock = realClock } = options;
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const now = clock.wallNow();
  const serial = Array.from(
    crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    // A positive serial number: clear the top bit.
    serialNumber: `7${serial.slice(1)}`,
    name: "CN=pgop-metrics",
    // An hour back, so a scraper whose clock is a little behind accepts it.
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + SELF_SIGNED_VALIDITY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) => ({
          type: /^[\d.]+$|:/.test(h) ? "ip" as const : "dns" as const,
          value: h,
        })),
      ),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { cert: cert.toString("pem"), key: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") };
}
