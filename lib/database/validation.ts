/**
 * The rules of a Database spec in code: the same rules as the CRD schema
 * (`crds/database.yaml`; `crd_test.ts` checks that patterns and limits agree),
 * for objects that got past the schema or were stored before it changed. The
 * reconciler turns problems into an `InvalidSpec` condition.
 *
 * Rules about changes (databaseName and username immutable, storage never
 * shrinks) need the old object and are enforced by the CRD's transition rules
 * only.
 *
 * @module
 */
import { DNS_1035_LABEL, MAX_DATABASE_NAME_LENGTH } from "./names.ts";
import { parseQuantity } from "./quantity.ts";
import { DEFAULT_REPLICAS } from "./types.ts";

/** Bounds of `spec.replicas`. */
export const MIN_REPLICAS = 0;
/** Bounds of `spec.replicas`. */
export const MAX_REPLICAS = 10;

/** Largest `spec.replication.synchronous`: every standby of the largest Database. */
export const MAX_SYNCHRONOUS = MAX_REPLICAS - 1;

/** Longest `spec.image`. */
export const IMAGE_MAX_LENGTH = 512;
/**
 * An image reference: optional registry host (with port), lowercase path
 * components, optional tag, optional sha256 digest. IPv6 registry hosts are
 * not supported. A string so that it is identical to the CRD's (Go RE2) pattern.
 */
export const IMAGE_PATTERN = "^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?" +
  "(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?" +
  "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*" +
  "(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$";

/**
 * A PostgreSQL identifier usable without quoting: lowercase letters, digits and
 * underscores, not starting with a digit, at most 63 bytes (NAMEDATALEN - 1).
 */
export const IDENTIFIER_PATTERN = "^[a-z_][a-z0-9_]{0,62}$";

/** Database names PostgreSQL itself uses as templates; creating them fails. */
export const RESERVED_DATABASE_NAMES: readonly string[] = ["template0", "template1"];

/**
 * Role names PostgreSQL refuses or treats as keywords. "postgres" is allowed:
 * it is the official image's default superuser. Names starting with
 * {@link RESERVED_USERNAME_PREFIX} are reserved for system roles.
 */
export const RESERVED_USERNAMES: readonly string[] = [
  "public",
  "none",
  "current_user",
  "current_role",
  "session_user",
  // The role standbys replicate as (lib/database/roles.ts: REPLICATION_USER).
  "pgop_replication",
];
/** Prefix PostgreSQL reserves for system roles ("role names cannot begin with pg_"). */
export const RESERVED_USERNAME_PREFIX = "pg_";

/**
 * `spec.storage.size` as a string: a positive integer without sign, fraction
 * or leading zero, with an optional suffix (Ki…Ei, k…E, or a decimal exponent),
 * e.g. "10Gi", "500M", "1e9". Fractions ("1.5Gi") are refused because the
 * CEL quantity library cannot tell a whole fraction from a partial byte; write
 * "1536Mi". The CRD's CEL rule adds the bound {@link MAX_STORAGE_BYTES}.
 */
export const STORAGE_SIZE_PATTERN = "^[1-9][0-9]{0,18}([KMGTPE]i|[kMGTPE]|[eE]\\+?[0-9]{1,2})?$";

/** Largest `spec.storage.size`: 1Ei, far beyond any volume and exact in every representation. */
export const MAX_STORAGE_BYTES = 1n << 60n;

/**
 * `spec.environment`: a lowercase DNS label. Free-form rather than an enum so
 * teams can name their own stages; selectable with `--field-selector`.
 */
export const ENVIRONMENT_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/** Longest `spec.environment`. */
export const ENVIRONMENT_MAX_LENGTH = 63;

/** One thing wrong with a Database. */
export interface Problem {
  /** Path of the field, e.g. "spec.storage.size". */
  readonly field: string;
  /** What is wrong, in sentence case, values quoted. */
  readonly message: string;
}

/** The outcome of {@link validateSpec}. */
export interface ValidationResult {
  /** True exactly when `problems` is empty. */
  readonly valid: boolean;
  readonly problems: readonly Problem[];
}

/** The shape validated: a Database read from anywhere, fields not trusted. */
export interface Validatable {
  readonly metadata?: { readonly name?: string };
  readonly spec?: unknown;
}

const image = new RegExp(IMAGE_PATTERN);
const identifier = new RegExp(IDENTIFIER_PATTERN);
const storageSize = new RegExp(STORAGE_SIZE_PATTERN);
const environment = new RegExp(ENVIRONMENT_PATTERN);

/**
 * Checks a Database's name and spec against every rule of the CRD schema
 * (types, required fields, patterns, bounds, reserved names, positive whole
 * storage size). Never throws; reports every problem found, in field order.
 */
export function validateSpec(db: Validatable): ValidationResult {
  const problems: Problem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });

  const name = db.metadata?.name;
  if (typeof name !== "string" || !DNS_1035_LABEL.test(name)) {
    add(
      "metadata.name",
      `Name ${quote(name)} must be a DNS-1035 label (lowercase letters, digits and "-")`,
    );
  } else if (name.length > MAX_DATABASE_NAME_LENGTH) {
    add(
      "metadata.name",
      `Name must be at most ${MAX_DATABASE_NAME_LENGTH} characters, got ${name.length}`,
    );
  }

  const spec = db.spec;
  if (!isObject(spec)) {
    add("spec", "Spec is required");
    return { valid: false, problems };
  }

  if (typeof spec.image !== "string" || spec.image === "") {
    add("spec.image", "Image is required");
  } else if (spec.image.length > IMAGE_MAX_LENGTH) {
    add("spec.image", `Image must be at most ${IMAGE_MAX_LENGTH} characters`);
  } else if (!image.test(spec.image)) {
    add("spec.image", `Image ${quote(spec.image)} is not a valid image reference`);
  }

  const replicas = spec.replicas;
  if (
    replicas !== undefined &&
    (!Number.isInteger(replicas) || (replicas as number) < MIN_REPLICAS ||
      (replicas as number) > MAX_REPLICAS)
  ) {
    add(
      "spec.replicas",
      `Replicas must be an integer from ${MIN_REPLICAS} to ${MAX_REPLICAS}, got ${quote(replicas)}`,
    );
  }

  const replication = spec.replication;
  if (replication !== undefined) {
    const k = isObject(replication) ? replication.synchronous : replication;
    const wanted = typeof replicas === "number" ? replicas : DEFAULT_REPLICAS;
    if (!isObject(replication) || (k !== undefined && !Number.isInteger(k))) {
      add("spec.replication.synchronous", `Synchronous must be an integer, got ${quote(k)}`);
    } else if (typeof k === "number" && (k < 0 || k > MAX_SYNCHRONOUS)) {
      add("spec.replication.synchronous", `Synchronous must be 0 to ${MAX_SYNCHRONOUS}, got ${k}`);
    } else if (typeof k === "number" && k > 0 && k >= wanted) {
      add(
        "spec.replication.synchronous",
        `Synchronous (${k}) must be less than replicas (${wanted}): no commit could return`,
      );
    }
  }

  const dbName = spec.databaseName;
  if (typeof dbName !== "string" || !identifier.test(dbName)) {
    add("spec.databaseName", `Database name ${quote(dbName)} must match ${IDENTIFIER_PATTERN}`);
  } else if (RESERVED_DATABASE_NAMES.includes(dbName)) {
    add("spec.databaseName", `Database name ${quote(dbName)} is reserved`);
  }

  const username = spec.username;
  if (typeof username !== "string" || !identifier.test(username)) {
    add("spec.username", `Username ${quote(username)} must match ${IDENTIFIER_PATTERN}`);
  } else if (
    RESERVED_USERNAMES.includes(username) || username.startsWith(RESERVED_USERNAME_PREFIX)
  ) {
    add("spec.username", `Username ${quote(username)} is reserved`);
  }

  const storage = spec.storage;
  if (!isObject(storage)) {
    add("spec.storage", "Storage is required");
  } else {
    const problem = storageProblem(storage.size);
    if (problem) add("spec.storage.size", problem);
  }

  const env = spec.environment;
  if (env !== undefined) {
    if (typeof env !== "string" || env.length > ENVIRONMENT_MAX_LENGTH || !environment.test(env)) {
      add(
        "spec.environment",
        `Environment ${
          quote(env)
        } must be a lowercase DNS label of at most ${ENVIRONMENT_MAX_LENGTH} characters`,
      );
    }
  }
  return { valid: problems.length === 0, problems };
}

/** Problems as "field: message" lines, e.g. for a condition message. */
export function problemMessages(result: ValidationResult): string[] {
  return result.problems.map((p) => `${p.field}: ${p.message}`);
}

function storageProblem(size: unknown): string | undefined {
  if (size === undefined) return "Storage size is required";
  const positive = `Storage size ${
    quote(size)
  } must be a positive whole number of bytes, at most 1Ei`;
  // Numbers beyond 2^53 are not exact in JavaScript, so they are refused (the CRD allows up to 1Ei).
  if (typeof size === "number") {
    return Number.isSafeInteger(size) && size > 0 ? undefined : positive;
  }
  if (typeof size !== "string" || !storageSize.test(size)) {
    return `Storage size ${quote(size)} must be an integer with an optional suffix, such as "10Gi"`;
  }
  try {
    const bytes = parseQuantity(size);
    if (bytes > 0n && bytes <= MAX_STORAGE_BYTES) return undefined;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  return positive;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function quote(value: unknown): string {
  return value === undefined ? "(none)" : JSON.stringify(value);
}
