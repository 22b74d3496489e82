/**
 * The credentials Secret of a Database: desired state (pure) and reading back
 * the password that was generated once.
 *
 * @module
 */
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import { childMetadata } from "./meta.ts";
import { clientServiceName, secretName } from "./names.ts";
import { type Database, POSTGRES_PORT } from "./types.ts";

/** The keys of the credentials Secret; pods read `username`, `password` and `dbname`. */
export const SECRET_KEYS = {
  username: "username",
  password: "password",
  host: "host",
  port: "port",
  dbname: "dbname",
  uri: "uri",
  jdbcUri: "jdbc-uri",
} as const;

/**
 * Stands for the password in the Secret whose hash pgop stamps on it (see
 * `children.ts`): the hash must not change with the password, and must not be
 * derived from it.
 */
export const PASSWORD_MASK = "<password>";

/** A Secret that cannot be read as pgop's credentials Secret. */
export class InvalidSecretError extends Error {
  override readonly name = "InvalidSecretError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The server-side-apply body of the credentials Secret `<name>-app`: type
 * Opaque, `data` (base64, so it compares exactly with the object read back,
 * which never has `stringData`) holding `username`, `password`, `host`
 * (`<name>.<namespace>.svc`, the client Service), `port` ("5432"), `dbname`,
 * `uri` (`postgresql://user:password@host:5432/dbname`, percent-encoded) and
 * `jdbc-uri` (`jdbc:postgresql://host:5432/dbname?password=…&user=…`).
 *
 * Pure: the password is generated once by the caller ({@link readPassword} or
 * `generatePassword()`) and passed in.
 *
 * @throws {RangeError} when the Database lacks name, namespace or uid, or `password` is empty
 */
export function desiredSecret(db: Database, password: string): Secret {
  if (typeof password !== "string" || password === "") {
    throw new RangeError("Password must be a non-empty string");
  }
  const metadata = childMetadata(db, secretName(db));
  const { username, databaseName } = db.spec;
  const host = `${clientServiceName(db)}.${metadata.namespace}.svc`;
  const port = String(POSTGRES_PORT);
  const user = encodeURIComponent(username);
  const pass = encodeURIComponent(password);
  const dbname = encodeURIComponent(databaseName);
  const values: Record<string, string> = {
    [SECRET_KEYS.username]: username,
    [SECRET_KEYS.password]: password,
    [SECRET_KEYS.host]: host,
    [SECRET_KEYS.port]: port,
    [SECRET_KEYS.dbname]: databaseName,
    [SECRET_KEYS.uri]: `postgresql://${user}:${pass}@${host}:${port}/${dbname}`,
    [SECRET_KEYS.jdbcUri]:
      `jdbc:postgresql://${host}:${port}/${dbname}?password=${pass}&user=${user}`,
  };
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) data[key] = encodeBase64(value);
  return { apiVersion: "v1", kind: "Secret", metadata, type: "Opaque", data };
}

/**
 * The password stored in an existing credentials Secret, so the reconciler
 * reuses it: PostgreSQL sets the password only when it initialises the volume,
 * so a new one would lock every client out.
 *
 * @returns the password, or `undefined` when there is no Secret yet (then, and
 *   only then, generate one)
 * @throws {InvalidSecretError} when the Secret exists but has no `password`,
 *   an empty one, or one that is not base64 of UTF-8 text; the caller must not
 *   replace it silently (report it on the Database instead)
 */
export function readPassword(secret: Secret | undefined): string | undefined {
  if (secret === undefined) return undefined;
  const name = secret.metadata?.name ?? "";
  const encoded = secret.data?.[SECRET_KEYS.password];
  if (typeof encoded !== "string" || encoded === "") {
    throw new InvalidSecretError(`Secret "${name}" has no "${SECRET_KEYS.password}" key`);
  }
  let password: string;
  try {
    password = decodeBase64(encoded);
  } catch (cause) {
    throw new InvalidSecretError(
      `Secret "${name}" key "${SECRET_KEYS.password}" is not base64 of UTF-8 text`,
      { cause },
    );
  }
  if (password === "") {
    throw new InvalidSecretError(`Secret "${name}" key "${SECRET_KEYS.password}" is empty`);
  }
  return password;
}

/** Standard base64 (with padding) of the UTF-8 bytes of `text`, as the API server encodes `data`. */
export function encodeBase64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The UTF-8 text of standard base64.
 * @throws {DOMException} on invalid base64; {TypeError} on invalid UTF-8
 */
export function decodeBase64(encoded: string): string {
  const binary = atob(encoded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}
