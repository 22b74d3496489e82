/**
 * The API server's own count of requests (`apiserver_request_total` from
 * kube-apiserver's `/metrics`), to cross-check what pgop says it sent.
 * That metric has no user or user-agent label, so the comparison is by
 * totals: per write verb and resource, the API server's count minus what
 * the system under test and the load tool sent is what other clients (the
 * StatefulSet controller, the garbage collector, …) wrote.
 *
 * @module
 */
import type { ConnectionConfig } from "../../lib/kube/kubeconfig.ts";
import { parsePromText } from "../../tests/support/prometheus_text.ts";
import type { RequestCounts } from "./request_counts.ts";

/** The resources a Database run writes. */
export const RUN_RESOURCES: ReadonlySet<string> = new Set([
  "databases",
  "secrets",
  "services",
  "statefulsets",
]);

/**
 * pgop/client-go verb → the API server's `verb` label, which is the HTTP
 * method for writes (POST, PUT), except APPLY for server-side apply
 * (checked against kube-apiserver 1.36).
 */
const VERBS: Readonly<Record<string, string>> = {
  create: "POST",
  apply: "APPLY",
  patch: "PATCH",
  update: "PUT",
  delete: "DELETE",
  deletecollection: "DELETECOLLECTION",
};
const API_WRITE_VERBS = new Set(Object.values(VERBS));

/** Writes the API server counted, keyed `"VERB resource"` or `"VERB resource/subresource"`. */
export type ApiserverWrites = Readonly<Record<string, number>>;

/** One row of the cross-check. */
export interface WriteComparison {
  /** `"POST secrets"` (a create); subresources merged into their resource. */
  readonly key: string;
  /** Sent by the system under test (its own count). */
  readonly sut: number;
  /** Sent by the load tool (Database creates). */
  readonly tool: number;
  /** Counted by the API server. */
  readonly apiserver: number;
  /** `apiserver - sut - tool`: other clients (or requests that never reached the server if negative). */
  readonly other: number;
  /** The API server's count by subresource, when there is one (e.g. `{ status: 2000 }`). */
  readonly subresources?: Readonly<Record<string, number>>;
}

/** kube-apiserver's `/metrics` text, read with the kubeconfig's credentials (admin can read it). */
export async function scrapeApiserverMetrics(connection: ConnectionConfig): Promise<string> {
  const client = Deno.createHttpClient({
    caCerts: connection.caPem ? [connection.caPem] : undefined,
    ...(connection.certPem && connection.keyPem
      ? { cert: connection.certPem, key: connection.keyPem }
      : {}),
  });
  try {
    const auth = await connection.authHeader();
    const res = await fetch(`${connection.server}/metrics`, {
      client,
      headers: auth ? { authorization: auth } : {},
    });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(`GET /metrics of the API server: ${res.status} ${text.slice(0, 200)}`);
    }
    return text;
  } finally {
    client.close();
  }
}

/** Write counts of the run's resources from an `apiserver_request_total` exposition. */
export function apiserverWrites(text: string): ApiserverWrites {
  const out: Record<string, number> = {};
  for (const s of parsePromText(text, (name) => name === "apiserver_request_total")) {
    const { verb = "", resource = "", subresource = "" } = s.labels;
    if (!API_WRITE_VERBS.has(verb) || !RUN_RESOURCES.has(resource)) continue;
    const key = `${verb} ${resource}${subresource ? `/${subresource}` : ""}`;
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/** `"apply databases.database.example.com"` → `"APPLY databases"`, `"create secrets"` → `"POST secrets"`; undefined for reads or other resources. */
function clientKey(key: string): string | undefined {
  const [verb, label = ""] = key.split(" ");
  const resource = label.split(".")[0];
  const apiVerb = VERBS[verb];
  return apiVerb && RUN_RESOURCES.has(resource) ? `${apiVerb} ${resource}` : undefined;
}

/** Rows of the cross-check for every write verb and run resource seen by anyone, sorted by key. */
export function compareWrites(
  sut: RequestCounts,
  tool: RequestCounts,
  apiserver: ApiserverWrites,
): WriteComparison[] {
  const rows = new Map<
    string,
    { sut: number; tool: number; apiserver: number; subresources: Record<string, number> }
  >();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) rows.set(key, r = { sut: 0, tool: 0, apiserver: 0, subresources: {} });
    return r;
  };
  for (const [k, n] of Object.entries(sut)) {
    const key = clientKey(k);
    if (key) row(key).sut += n;
  }
  for (const [k, n] of Object.entries(tool)) {
    const key = clientKey(k);
    if (key) row(key).tool += n;
  }
  for (const [k, n] of Object.entries(apiserver)) {
    const [verb, path] = k.split(" ");
    const [resource, subresource] = path.split("/");
    const r = row(`${verb} ${resource}`);
    r.apiserver += n;
    if (subresource) r.subresources[subresource] = (r.subresources[subresource] ?? 0) + n;
  }
  return [...rows.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([key, r]) => ({
    key,
    sut: r.sut,
    tool: r.tool,
    apiserver: r.apiserver,
    other: r.apiserver - r.sut - r.tool,
    ...(Object.keys(r.subresources).length ? { subresources: r.subresources } : {}),
  }));
}
