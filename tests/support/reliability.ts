/**
 * Checks shared by the reliability tests (tests/reliability_*_test.ts): the
 * state of every Database and its children as the API server sees it, how
 * long convergence took, and the least-privilege identity of deploy/cluster-wide.
 * Passwords are in passwords.ts.
 *
 * Everything here reads through the admin client of the test, never through
 * pgop: the API server is the judge.
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import {
  clientServiceName,
  headlessServiceName,
  readOnlyServiceName,
  readWriteServiceName,
  replicationSecretName,
  secretName,
  statefulSetName,
} from "../../lib/database/names.ts";
import { type Database, KIND, LABEL_MANAGED_BY, MANAGER_NAME } from "../../lib/database/types.ts";
import { type Resource, Resources } from "../../lib/kube/resource.ts";
import type { KubeClient, KubeObject } from "../../lib/kube/types.ts";
import { waitUntil } from "./wait.ts";

/** The names of a Database's children by kind, each list sorted. */
export function childNames(db: { metadata?: { name?: string } }): Record<string, string[]> {
  return {
    StatefulSet: [statefulSetName(db)],
    Service: [
      clientServiceName(db),
      headlessServiceName(db),
      readWriteServiceName(db),
      readOnlyServiceName(db),
    ].sort(),
    Secret: [secretName(db), replicationSecretName(db)].sort(),
  };
}

/** Label selector of everything pgop creates. */
export const PGOP_CHILDREN = `${LABEL_MANAGED_BY}=${MANAGER_NAME}`;
/** The identity deploy/cluster-wide grants pgop's least-privilege role to. */
export const SERVICE_ACCOUNT = "system:serviceaccount:pgop-system:pgop";

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A uniformly random integer in [min, max]. */
export function randomBetween(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/** Seconds since `start` (a `performance.now()`), for reports. */
export function secondsSince(start: number): number {
  return Math.round((performance.now() - start) / 10) / 100;
}

/** Whether pgop reports the Database Ready for its current generation. */
export function isReady(db: Database, replicas?: number): boolean {
  return db.status?.phase === "Ready" &&
    db.status.observedGeneration === db.metadata?.generation &&
    (replicas === undefined || db.status.readyReplicas === replicas);
}

/** Every Database in `namespace` (default: all namespaces). */
export async function listDatabases(client: KubeClient, namespace?: string): Promise<Database[]> {
  return (await client.list<Database>(Resources.databases, { namespace })).items;
}

/**
 * Waits until every Database (of `names`, default all that exist) is
 * {@link isReady}; the timeout error names the ones still missing.
 */
export async function waitAllReady(
  client: KubeClient,
  options: { names?: readonly string[]; timeoutMs?: number; namespace?: string } = {},
): Promise<void> {
  await waitUntil("every Database Ready", async () => {
    const dbs = await listDatabases(client, options.namespace);
    const ready = new Set(dbs.filter((d) => isReady(d)).map((d) => d.metadata?.name ?? ""));
    const wanted = options.names ?? dbs.map((d) => d.metadata?.name ?? "");
    const missing = wanted.filter((n) => !ready.has(n));
    if (missing.length > 0) {
      throw new Error(`${missing.length} not Ready: ${missing.slice(0, 10).join(", ")}`);
    }
    return true;
  }, { timeoutMs: options.timeoutMs ?? 180_000, intervalMs: 250 });
}

/** Seconds from a start until each stage of convergence was first seen complete. */
export interface Convergence {
  /** Every Database has its StatefulSet, two Services and Secret (pgop's writes are done). */
  readonly children: number;
  /** Every StatefulSet reports its replicas ready (the control plane's part is done). */
  readonly statefulSets: number;
  /** Every Database reports Ready for its generation (pgop has seen and reported it). */
  readonly databases: number;
}

/**
 * Polls (every 200 ms) until every Database of `names` is {@link isReady},
 * and tells how long each stage took since `since` (a `performance.now()`),
 * so that a slow recovery can be blamed on pgop or on the control plane.
 * @throws {Error} after `timeoutMs` (default 180 s), naming what is missing
 */
export async function waitConverged(
  client: KubeClient,
  names: readonly string[],
  options: { since: number; timeoutMs?: number; namespace?: string },
): Promise<Convergence> {
  const namespace = options.namespace ?? "default";
  const seen: { children?: number; statefulSets?: number; databases?: number } = {};
  const mark = (stage: keyof typeof seen, done: boolean) => {
    if (done && seen[stage] === undefined) seen[stage] = secondsSince(options.since);
  };
  await waitUntil("every Database Ready", async () => {
    const [dbs, sets, services, secrets] = await Promise.all([
      listDatabases(client, namespace),
      client.list<StatefulSet>(Resources.statefulSets, { namespace, labelSelector: PGOP_CHILDREN }),
      client.list(Resources.services, { namespace, labelSelector: PGOP_CHILDREN }),
      client.list(Resources.secrets, { namespace, labelSelector: PGOP_CHILDREN }),
    ]);
    // Lists leave `kind` out of their items: tag each by its list.
    const existing = new Set<string>();
    for (
      const [kind, list] of [["StatefulSet", sets], ["Service", services], [
        "Secret",
        secrets,
      ]] as const
    ) {
      for (const o of list.items) existing.add(`${kind}/${o.metadata?.name}`);
    }
    const byName = new Map(dbs.map((d) => [d.metadata?.name ?? "", d]));
    const complete = names.filter((name) => {
      return Object.entries(childNames({ metadata: { name } })).every(([kind, children]) =>
        children.every((child) => existing.has(`${kind}/${child}`))
      );
    });
    const setsReady = sets.items.filter((s) =>
      (s.status?.readyReplicas ?? 0) >= (s.spec?.replicas ?? 1) &&
      (s.status?.observedGeneration ?? 0) >= (s.metadata?.generation ?? 0)
    ).map((s) => s.metadata?.name ?? "");
    const readySets = new Set(setsReady);
    mark("children", complete.length === names.length);
    mark("statefulSets", names.every((n) => readySets.has(n)));
    const missing = names.filter((n) => {
      const db = byName.get(n);
      return !db || !isReady(db);
    });
    mark("databases", missing.length === 0);
    if (missing.length > 0) {
      throw new Error(`${missing.length} not Ready: ${missing.slice(0, 10).join(", ")}`);
    }
    return true;
  }, { timeoutMs: options.timeoutMs ?? 180_000, intervalMs: 200 });
  return {
    children: seen.children ?? NaN,
    statefulSets: seen.statefulSets ?? NaN,
    databases: seen.databases ?? NaN,
  };
}

/** The kind and name of an object, e.g. `Secret default/db-1-app`. */
function describe(kind: string, obj: KubeObject): string {
  return `${kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`;
}

const CHILD_KINDS: readonly { kind: string; resource: Resource }[] = [
  { kind: "StatefulSet", resource: Resources.statefulSets },
  { kind: "Service", resource: Resources.services },
  { kind: "Secret", resource: Resources.secrets },
];

/**
 * What is wrong with the children of every Database, as sentences (empty
 * when all is well): each Database has exactly one StatefulSet, four
 * Services and two Secrets, with the expected names, whose controller is
 * that Database (by uid); every object carrying pgop's label has a
 * controller Database that exists (no orphan, no duplicate). Databases
 * named in `options.except` (say, one failed on purpose) need no children.
 */
export async function childProblems(
  client: KubeClient,
  options: { except?: readonly string[] } = {},
): Promise<string[]> {
  const dbs = await listDatabases(client);
  const byUid = new Map(dbs.map((d) => [d.metadata?.uid ?? "", d]));
  const owned = new Map<string, Map<string, string[]>>();
  const problems: string[] = [];
  for (const { kind, resource } of CHILD_KINDS) {
    const items = (await client.list(resource, { labelSelector: PGOP_CHILDREN })).items;
    for (const child of items) {
      const controller = child.metadata?.ownerReferences?.find((r) => r.controller);
      const owner = controller?.kind === KIND ? byUid.get(controller.uid) : undefined;
      if (!owner || owner.metadata?.namespace !== child.metadata?.namespace) {
        problems.push(
          `${describe(kind, child)} is an orphan (controller ${JSON.stringify(controller)})`,
        );
        continue;
      }
      const kinds = owned.get(owner.metadata?.uid ?? "") ?? new Map<string, string[]>();
      kinds.set(kind, [...kinds.get(kind) ?? [], child.metadata?.name ?? ""]);
      owned.set(owner.metadata?.uid ?? "", kinds);
    }
  }
  for (const db of dbs) {
    if (options.except?.includes(db.metadata?.name ?? "")) continue;
    const kinds = owned.get(db.metadata?.uid ?? "") ?? new Map<string, string[]>();
    for (const [kind, names] of Object.entries(childNames(db))) {
      const found = [...kinds.get(kind) ?? []].sort();
      if (JSON.stringify(found) !== JSON.stringify(names)) {
        problems.push(
          `Database ${db.metadata?.namespace}/${db.metadata?.name} owns ${kind}s [${found}], expected [${names}]`,
        );
      }
    }
  }
  return problems;
}

export { installRbac, serviceAccountKubeconfig } from "./service_account.ts";
