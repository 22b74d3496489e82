/**
 * API errors about requests that carried credentials lose the server's own
 * words. An error body can echo what was sent: a validation message quotes
 * the invalid value, and an admission policy or webhook may put any field of
 * the object into its message (a ValidatingAdmissionPolicy's
 * `messageExpression` can be `string(object.data.password)`). pgop puts an
 * error's message into its log, Events and `status.conditions`, so for these
 * requests only what cannot carry a value is kept: the code, the reason, the
 * object's kind and name, and each cause's field path and reason.
 *
 * @module
 */
import { type Resource, resourceLabel } from "./resource.ts";
import type { Status } from "./types.ts";

/**
 * Resources whose requests or answers carry credentials: Secrets (their
 * data), TokenReviews (the token under review), TokenRequests.
 */
export const SENSITIVE_RESOURCES: ReadonlySet<string> = new Set([
  "secrets",
  "tokenreviews.authentication.k8s.io",
  "serviceaccounts",
]);

/** True when an error about `resource` must be redacted with {@link redactStatus}. */
export function isSensitive(resource: Resource | undefined): boolean {
  return resource !== undefined && SENSITIVE_RESOURCES.has(resourceLabel(resource));
}

/**
 * `status` with every free-text message replaced: a message that says what
 * was refused and which fields, never with which values. Undefined stays
 * undefined.
 */
export function redactStatus(status: Status | undefined, code: number): Status | undefined {
  if (!status) return undefined;
  const details = status.details;
  const causes = details?.causes?.map((c) => ({ reason: c.reason, field: c.field }));
  const fields = (causes ?? [])
    .map((c) => [c.field, c.reason].filter(Boolean).join(" "))
    .filter(Boolean);
  const what = details?.kind && details.name ? `${details.kind} "${details.name}"` : "The request";
  const message = `${what} was refused (${status.reason ?? code})` +
    (fields.length > 0 ? `: ${fields.join("; ")}` : "") +
    "; the API server's message is withheld because the request carried credentials";
  return {
    kind: status.kind,
    apiVersion: status.apiVersion,
    status: status.status,
    code: status.code,
    reason: status.reason,
    message,
    details: details && {
      name: details.name,
      kind: details.kind,
      causes,
      retryAfterSeconds: details.retryAfterSeconds,
    },
  };
}
