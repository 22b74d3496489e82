/**
 * The certificate of `--metrics-secure`: from `--metrics-cert-dir` (`tls.crt`,
 * `tls.key`, as a cert-manager Secret mounts them) or made at start
 * (self_signed.ts). endpoints.ts serves `/metrics` with it.
 *
 * @module
 */
import { join } from "node:path";
import { selfSignedCertificate, type TlsFiles } from "./self_signed.ts";

/** The certificate and key of the secure endpoint could not be read. */
export class MetricsCertificateError extends Error {
  override readonly name = "MetricsCertificateError";
}

/**
 * `tls.crt` and `tls.key` from `certDir`, or a self-signed pair when it is
 * undefined. Read once: a rotated certificate is used from the next start.
 * @throws {MetricsCertificateError} naming the file that cannot be read
 */
export async function metricsCertificate(certDir: string | undefined): Promise<TlsFiles> {
  if (certDir === undefined) return await selfSignedCertificate();
  const read = async (name: string) => {
    const path = join(certDir, name);
    try {
      return await Deno.readTextFile(path);
    } catch (cause) {
      throw new MetricsCertificateError(
        `Cannot read "${path}" of --metrics-cert-dir: ${
          cause instanceof Error ? cause.message : cause
        }`,
        { cause },
      );
    }
  };
  return { cert: await read("tls.crt"), key: await read("tls.key") };
}
