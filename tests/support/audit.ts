/**
 * The API server's audit log as a witness in end-to-end tests: an audit
 * policy that records one user's requests (metadata only, never bodies, so
 * no Secret data is written), and a reader of the resulting log.
 *
 * ```ts
 * const audit = await AuditLog.create(["system:serviceaccount:pgop-system:pgop"]);
 * await withCluster({ apiserverArgs: audit.apiserverArgs }, async (cluster) => { … });
 * const requests = await audit.read();
 * await audit.remove();
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { stringify } from "yaml";

/** One audited request, at its final stage. */
export interface AuditedRequest {
  readonly user: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete. */
  readonly verb: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  /** Empty for a create (the name is in the body) and for collections. */
  readonly name: string;
  readonly code: number;
  /** Epoch ms the API server received the request. */
  readonly received: number;
  /** Epoch ms the API server answered it. */
  readonly completed: number;
  /** For a write of a Lease logged with its body (level Request): the holder it names. */
  readonly leaseHolder?: string;
  /** For a pod's service-account token: the pod it is bound to. */
  readonly pod?: string;
  /** For a service-account token: its id (`JTI=…`), which changes when the kubelet rotates it. */
  readonly credential?: string;
}

/** An audit policy file and the log the API server writes with it. */
export class AuditLog {
  /** Directory holding the policy and the log. */
  readonly dir: string;
  readonly path: string;
  /** Flags for kube-apiserver. */
  readonly apiserverArgs: readonly string[];

  private constructor(dir: string) {
    this.dir = dir;
    this.path = join(dir, "audit.log");
    this.apiserverArgs = [
      `--audit-policy-file=${join(dir, "policy.yaml")}`,
      `--audit-log-path=${this.path}`,
    ];
  }

  /** Writes a policy recording every request of `users` at the Metadata level, nothing else. */
  static create(users: readonly string[]): Promise<AuditLog> {
    if (users.length === 0) throw new RangeError("Give at least one user to audit");
    return AuditLog.withPolicy(stringify({
      apiVersion: "audit.k8s.io/v1",
      kind: "Policy",
      omitStages: ["RequestReceived"],
      omitManagedFields: true,
      rules: [{ level: "Metadata", users: [...users] }, { level: "None" }],
    }));
  }

  /** Writes `policy` (an audit.k8s.io/v1 Policy, YAML) for the API server to log with. */
  static async withPolicy(policy: string): Promise<AuditLog> {
    const dir = await Deno.makeTempDir({ prefix: "pgop-audit-" });
    await Deno.writeTextFile(join(dir, "policy.yaml"), policy);
    return new AuditLog(dir);
  }

  /** Every request recorded so far (those still streaming, such as watches, when they end). */
  async read(): Promise<AuditedRequest[]> {
    const text = await Deno.readTextFile(this.path).catch(() => "");
    return text.split("\n").filter(Boolean).map((line) => JSON.parse(line))
      .filter((e) => e.stage === "ResponseComplete" || e.stage === "Panic")
      .map((e) => ({
        user: e.user?.username ?? "",
        verb: e.verb ?? "",
        resource: e.objectRef?.resource ?? "",
        subresource: e.objectRef?.subresource ?? "",
        namespace: e.objectRef?.namespace ?? "",
        name: e.objectRef?.name ?? "",
        code: e.responseStatus?.code ?? 0,
        received: Date.parse(e.requestReceivedTimestamp),
        completed: Date.parse(e.stageTimestamp),
        ...(e.objectRef?.resource === "leases" && e.requestObject !== undefined
          ? { leaseHolder: e.requestObject.spec?.holderIdentity ?? "" }
          : {}),
        ...extra(e.user?.extra, "pod", "authentication.kubernetes.io/pod-name"),
        ...extra(e.user?.extra, "credential", "authentication.kubernetes.io/credential-id"),
      }));
  }

  /** Deletes the directory. */
  async remove(): Promise<void> {
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** `{ [field]: value }` of a user's extra attribute `key`, or nothing. */
function extra(
  values: Record<string, string[]> | undefined,
  field: "pod" | "credential",
  key: string,
): Partial<Record<typeof field, string>> {
  const value = values?.[key]?.[0];
  return value === undefined ? {} : { [field]: value };
}

/**
 * For each request answered 429 that names its object, the time until the
 * next request of the same verb on the same object (by the same user),
 * in ms; requests never repeated are left out.
 */
export function retryGapsAfter429(requests: readonly AuditedRequest[]): {
  readonly request: AuditedRequest;
  readonly gapMs: number;
}[] {
  const key = (r: AuditedRequest) =>
    [r.user, r.verb, r.resource, r.subresource, r.namespace, r.name].join("\u0000");
  const byKey = new Map<string, AuditedRequest[]>();
  for (const r of requests) byKey.set(key(r), [...byKey.get(key(r)) ?? [], r]);
  const gaps: { request: AuditedRequest; gapMs: number }[] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => a.received - b.received);
    for (const [i, request] of list.entries()) {
      const next = list[i + 1];
      if (request.code === 429 && request.name !== "" && next) {
        gaps.push({ request, gapMs: next.received - request.completed });
      }
    }
  }
  return gaps;
}
