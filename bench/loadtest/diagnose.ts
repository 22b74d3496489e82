/**
 * What a run that did not finish looked like: for each Database that never
 * became Ready, its status and its StatefulSet's, read back from the API
 * server — enough to tell "the StatefulSet is not rolled out" (the cluster
 * is slow) from "it is, but the status says otherwise" (the operator missed
 * an event).
 *
 * @module
 */
import type { StatefulSet } from "kubernetes-types/apps/v1.d.ts";
import type { Database } from "../../lib/database/types.ts";
import { isNotFound } from "../../lib/kube/errors.ts";
import { Resources } from "../../lib/kube/resource.ts";
import type { KubeClient } from "../../lib/kube/types.ts";

/** One Database that was not Ready. */
export interface NotReady {
  readonly key: string;
  readonly databaseStatus?: Database["status"];
  readonly databaseResourceVersion?: string;
  /** Absent: no StatefulSet. */
  readonly statefulSet?: {
    readonly generation?: number;
    readonly resourceVersion?: string;
    readonly status?: StatefulSet["status"];
  };
}

async function getOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Reads back at most `limit` of the Databases named `keys` ("namespace/name"). */
export async function describeNotReady(
  client: KubeClient,
  keys: readonly string[],
  limit = 20,
): Promise<NotReady[]> {
  const out: NotReady[] = [];
  for (const key of keys.slice(0, limit)) {
    const [namespace, name] = key.split("/");
    const db = await getOrUndefined(() =>
      client.get<Database>(Resources.databases, name, { namespace })
    );
    const sts = await getOrUndefined(() =>
      client.get<StatefulSet>(Resources.statefulSets, name, { namespace })
    );
    out.push({
      key,
      databaseStatus: db?.status,
      databaseResourceVersion: db?.metadata?.resourceVersion,
      ...(sts
        ? {
          statefulSet: {
            generation: sts.metadata?.generation,
            resourceVersion: sts.metadata?.resourceVersion,
            status: sts.status,
          },
        }
        : {}),
    });
  }
  return out;
}
