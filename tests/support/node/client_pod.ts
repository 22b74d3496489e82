/**
 * Client pods on real nodes: a pod that runs one command to completion (a
 * psql session, a connection attempt) and hands back its exit code and log.
 *
 * @module
 */
import { stringify } from "yaml";
import { waitUntil } from "../wait.ts";
import { REAL_NODE_KEY } from "./plan.ts";

/** What {@link runPod} runs. */
export interface PodRun {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly namespace?: string;
  /** Environment: a value, or a key of a Secret in the pod's namespace. */
  readonly env?: Readonly<
    Record<string, string | { readonly secret: string; readonly key: string }>
  >;
  /** A node name (`127.0.0.1`); default any real node. */
  readonly node?: string;
  /** How long the pod may take from creation to its end (default 60 s). */
  readonly timeoutMs?: number;
}

/** How a pod's container ended. */
export interface PodResult {
  readonly exitCode: number;
  readonly logs: string;
}

type Kubectl = (args: readonly string[], options?: { input?: string }) => Promise<string>;

/** The manifest of a run-to-completion pod that lands on a real node only. */
export function podManifest(run: PodRun): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: run.name, namespace: run.namespace ?? "default" },
    spec: {
      restartPolicy: "Never",
      nodeSelector: run.node
        ? { [REAL_NODE_KEY]: "true", "kubernetes.io/hostname": run.node }
        : { [REAL_NODE_KEY]: "true" },
      tolerations: [{ key: REAL_NODE_KEY, operator: "Exists", effect: "NoSchedule" }],
      // A client ends with its command; nothing to wait for on delete.
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      containers: [{
        name: "main",
        image: run.image,
        imagePullPolicy: "IfNotPresent",
        command: [...run.command],
        env: Object.entries(run.env ?? {}).map(([name, value]) =>
          typeof value === "string"
            ? { name, value }
            : { name, valueFrom: { secretKeyRef: { name: value.secret, key: value.key } } }
        ),
      }],
    },
  };
}

/** Runs the pod to its end, returns its exit code and log, and deletes it. */
export async function runPod(kubectl: Kubectl, run: PodRun): Promise<PodResult> {
  const ns = run.namespace ?? "default";
  await kubectl(["create", "-f", "-"], { input: stringify(podManifest(run)) });
  try {
    let exitCode: number | undefined;
    await waitUntil(`pod ${ns}/${run.name} to finish`, async () => {
      const out = await kubectl([
        "get",
        "pod",
        "-n",
        ns,
        run.name,
        "-o",
        "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}",
      ]);
      if (out.trim() === "") return false;
      exitCode = Number(out.trim());
      return true;
    }, { timeoutMs: run.timeoutMs ?? 60_000, intervalMs: 200 });
    const logs = await kubectl(["logs", "-n", ns, run.name]);
    return { exitCode: exitCode ?? -1, logs };
  } finally {
    await kubectl(["delete", "pod", "-n", ns, run.name, "--grace-period=0", "--wait=false"]).catch(
      () => {},
    );
  }
}
