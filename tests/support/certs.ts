/**
 * Certificates for a loopback control plane, made with the `openssl` CLI: a CA,
 * the API server's serving certificate, an admin client certificate in group
 * `system:masters` (what kind writes into its kubeconfig) and the
 * service-account signing key. All are X.509 v3 (Deno's TLS, rustls, rejects v1).
 *
 * @module
 */
import { join } from "node:path";
import { KUBERNETES_SERVICE_IP } from "./component_args.ts";

/** Paths and PEM contents of the generated material. */
export interface ClusterCerts {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly serviceAccountKey: string;
  /** PEM text of the CA certificate, client certificate and key, for kubeconfigs. */
  readonly pem: { readonly ca: string; readonly cert: string; readonly key: string };
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** A positive random 127-bit serial number in openssl's hex notation. */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Signs a new EC key's certificate with the CA. */
async function issue(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
): Promise<void> {
  await Deno.writeTextFile(join(dir, `${name}.ext`), extensions);
  await openssl(
    [
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      subject,
    ],
    dir,
  );
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      // A random serial, not openssl's ca.srl: certificates issued at once (two
      // kubelets of one cluster) raced on that file and one read it half-written.
      "-set_serial",
      randomSerial(),
      "-days",
      "365",
      "-out",
      `${name}.crt`,
      "-extfile",
      `${name}.ext`,
    ],
    dir,
  );
}

/** Writes the certificates into `dir` (which must exist). */
export async function generateCerts(dir: string): Promise<ClusterCerts> {
  await openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "365",
      "-subj",
      "/CN=pgop-local-ca",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  await issue(
    dir,
    "apiserver",
    "/CN=kube-apiserver",
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      // Loopback for the host; the `kubernetes` Service's IP and names for
      // pods (node/apiserver_bridge.ts), as a real cluster's certificate has.
      `subjectAltName=IP:127.0.0.1,IP:${KUBERNETES_SERVICE_IP},DNS:localhost,DNS:kubernetes,` +
      "DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local",
    ].join("\n"),
  );
  await issue(
    dir,
    "admin",
    "/O=system:masters/CN=pgop-admin",
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=clientAuth",
    ]
      .join("\n"),
  );
  await openssl([
    "genpkey",
    "-algorithm",
    "RSA",
    "-pkeyopt",
    "rsa_keygen_bits:2048",
    "-out",
    "sa.key",
  ], dir);
  const path = (f: string) => join(dir, f);
  return {
    caCert: path("ca.crt"),
    caKey: path("ca.key"),
    serverCert: path("apiserver.crt"),
    serverKey: path("apiserver.key"),
    adminCert: path("admin.crt"),
    adminKey: path("admin.key"),
    serviceAccountKey: path("sa.key"),
    pem: {
      ca: await Deno.readTextFile(path("ca.crt")),
      cert: await Deno.readTextFile(path("admin.crt")),
      key: await Deno.readTextFile(path("admin.key")),
    },
  };
}

/** Issues another client certificate (user `cn`, groups `groups`) signed by the cluster CA. */
export async function issueClientCert(
  dir: string,
  name: string,
  cn: string,
  groups: string[] = [],
): Promise<{ cert: string; key: string }> {
  const subject = [...groups.map((g) => `/O=${g}`), `/CN=${cn}`].join("");
  await issue(
    dir,
    name,
    subject,
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=clientAuth",
    ]
      .join("\n"),
  );
  return {
    cert: await Deno.readTextFile(join(dir, `${name}.crt`)),
    key: await Deno.readTextFile(join(dir, `${name}.key`)),
  };
}
