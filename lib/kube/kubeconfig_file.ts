/**
 * Reading kubeconfig files into plain data: YAML parsed, the files of
 * `KUBECONFIG` merged as kubectl merges them (the first definition of a name,
 * and the first `current-context`, win), and relative paths resolved against
 * the file that names them.
 *
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { KubeconfigError } from "./errors.ts";

/** A named entry's body as the file has it (kebab-case keys). */
export type Entry = Readonly<Record<string, unknown>>;

/** The merged content of one or more kubeconfig files. */
export interface KubeconfigData {
  readonly clusters: ReadonlyMap<string, Entry>;
  readonly users: ReadonlyMap<string, Entry>;
  readonly contexts: ReadonlyMap<string, Entry>;
  readonly currentContext?: string;
  /** `"a", "b"`: the files, for messages. */
  readonly source: string;
}

/** Keys holding file paths, resolved against the kubeconfig's directory. */
const PATH_KEYS = ["certificate-authority", "client-certificate", "client-key", "token-file"];

/** Reads, checks and merges `files` (in priority order). */
export async function readKubeconfigFiles(files: readonly string[]): Promise<KubeconfigData> {
  const clusters = new Map<string, Entry>();
  const users = new Map<string, Entry>();
  const contexts = new Map<string, Entry>();
  let currentContext: string | undefined;
  for (const file of files) {
    const doc = await readDocument(file);
    const dir = dirname(file);
    merge(clusters, doc.clusters, "cluster", file, dir);
    merge(users, doc.users, "user", file, dir);
    merge(contexts, doc.contexts, "context", file, dir);
    const current = doc["current-context"];
    if (!currentContext && typeof current === "string" && current) currentContext = current;
  }
  return {
    clusters,
    users,
    contexts,
    currentContext,
    source: files.map((f) => `"${f}"`).join(", "),
  };
}

async function readDocument(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (cause) {
    throw new KubeconfigError(`Cannot read kubeconfig "${file}": ${firstLine(cause)}`, { cause });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (cause) {
    throw new KubeconfigError(`Kubeconfig "${file}" is not valid YAML: ${firstLine(cause)}`, {
      cause,
    });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new KubeconfigError(`Kubeconfig "${file}" is not a YAML mapping`);
  }
  return doc as Record<string, unknown>;
}

function merge(
  target: Map<string, Entry>,
  list: unknown,
  kind: string,
  file: string,
  dir: string,
): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    throw new KubeconfigError(`Kubeconfig "${file}": ${kind}s must be a list`);
  }
  for (const [i, item] of list.entries()) {
    const name = (item as { name?: unknown } | null)?.name;
    const body = (item as Record<string, unknown> | null)?.[kind];
    if (typeof name !== "string" || !name) {
      throw new KubeconfigError(`Kubeconfig "${file}": a ${kind} has no name`);
    }
    if (body !== undefined && body !== null && (typeof body !== "object" || Array.isArray(body))) {
      throw new KubeconfigError(`Kubeconfig "${file}": ${kind} "${name}" is not a mapping`);
    }
    if (
      kind === "cluster" &&
      typeof (body as Record<string, unknown> | undefined)?.server !== "string"
    ) {
      throw new KubeconfigError(
        `Kubeconfig "${file}" is invalid: clusters[${i}].cluster.server is missing`,
      );
    }
    if (target.has(name)) continue;
    const entry: Record<string, unknown> = { ...(body as Record<string, unknown> | undefined) };
    for (const key of PATH_KEYS) {
      const value = entry[key];
      if (typeof value === "string" && value && !isAbsolute(value)) entry[key] = join(dir, value);
    }
    target.set(name, entry);
  }
}

/** The first line of an error's message. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0];
}
