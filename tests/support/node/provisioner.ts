/**
 * The local cluster's storage provisioner: a loop in the test process that
 * watches claims of its StorageClass (WaitForFirstConsumer) and, once the
 * scheduler has picked a node, makes a `local` PersistentVolume for it,
 * pre-bound to the claim. On a real node the volume is a loop-mounted ext4
 * (loop_volume.ts); on a kwok node, which mounts nothing, it is a name only.
 * Released volumes are deleted (reclaim policy Delete) and grown claims grown.
 *
 * @module
 */
import { canonicalizeQuantity, parseQuantity } from "../../../lib/database/quantity.ts";
import type { KubeClient, KubeObject } from "../../../lib/kube/types.ts";
import { type Resource, Resources } from "../../../lib/kube/resource.ts";
import { createVolume, growVolume, removeVolume } from "./loop_volume.ts";

/** The StorageClass the provisioner serves, default on clusters with real nodes. */
export const STORAGE_CLASS = "pgop-local";
/** The provisioner's name in the StorageClass and on the volumes it made. */
export const PROVISIONER = "pgop.dev/local";

const SELECTED_NODE = "volume.kubernetes.io/selected-node";
const PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
const persistentVolumes = {
  group: "",
  version: "v1",
  plural: "persistentvolumes",
  kind: "PersistentVolume",
  namespaced: false,
} as const satisfies Resource;

interface Claim extends KubeObject {
  spec?: {
    storageClassName?: string;
    volumeName?: string;
    accessModes?: string[];
    resources?: { requests?: { storage?: string } };
  };
  status?: { phase?: string; capacity?: { storage?: string } };
}

interface Volume extends KubeObject {
  spec?: {
    capacity?: { storage?: string };
    claimRef?: { namespace?: string; name?: string };
    persistentVolumeReclaimPolicy?: string;
  };
  status?: { phase?: string };
}

/** The StorageClass object. */
export function storageClass(): Record<string, unknown> {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: STORAGE_CLASS,
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    provisioner: PROVISIONER,
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
  };
}

/** Makes, grows and deletes the volumes of {@link STORAGE_CLASS}. */
export class LocalVolumeProvisioner {
  readonly #client: KubeClient;
  readonly #dir: string;
  readonly #realNodes: ReadonlySet<string>;
  readonly #log: (message: string) => void;
  /** Volumes whose growth failed, with the size asked for: not retried until it changes. */
  readonly #growFailed = new Map<string, string>();

  /** `dir` holds the volumes; `realNodes` are the nodes that get real ones. */
  constructor(
    client: KubeClient,
    options: { dir: string; realNodes: readonly string[]; log?: (message: string) => void },
  ) {
    this.#client = client;
    this.#dir = options.dir;
    this.#realNodes = new Set(options.realNodes);
    this.#log = options.log ?? (() => {});
  }

  /** Reconciles on every change of a claim or volume until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await Deno.mkdir(this.#dir, { recursive: true });
    while (!signal.aborted) {
      try {
        const versions = await this.reconcile();
        // Any change of a claim or a volume: reconcile again from fresh lists
        // (and every 30 s in any case).
        const changed = new AbortController();
        const timer = setTimeout(() => changed.abort(), 30_000);
        const both = AbortSignal.any([signal, changed.signal]);
        const watch = async (resource: Resource, resourceVersion: string) => {
          try {
            for await (const _ of this.#client.watch(resource, { resourceVersion, signal: both })) {
              break;
            }
          } finally {
            changed.abort();
          }
        };
        try {
          await Promise.all([
            watch(persistentVolumes, versions.volumes),
            watch(Resources.persistentVolumeClaims, versions.claims),
          ]);
        } finally {
          clearTimeout(timer);
        }
      } catch (err) {
        if (signal.aborted) return;
        this.#log(`provisioner: ${err instanceof Error ? err.message : err}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** One pass over all claims and volumes; resolves with the lists' resourceVersions. */
  async reconcile(): Promise<{ claims: string; volumes: string }> {
    const claims = await this.#client.list<Claim>(Resources.persistentVolumeClaims);
    const volumes = await this.#client.list<Volume>(persistentVolumes);
    const ours = volumes.items.filter((v) =>
      v.metadata?.annotations?.[PROVISIONED_BY] === PROVISIONER
    );
    const names = new Set(ours.map((v) => v.metadata?.name));
    // One volume's failure is logged and leaves the others alone.
    const each = async (what: string, step: () => Promise<void>) => {
      try {
        await step();
      } catch (err) {
        this.#log(`provisioner: ${what}: ${err instanceof Error ? err.message : err}`);
      }
    };
    for (const claim of claims.items) {
      const node = claim.metadata?.annotations?.[SELECTED_NODE];
      const name = `pvc-${claim.metadata?.uid}`;
      if (claim.spec?.storageClassName !== STORAGE_CLASS || !node || claim.spec.volumeName) {
        continue;
      }
      if (names.has(name)) continue;
      await each(`provisioning ${name}`, () => this.#provision(claim, name, node));
    }
    for (const volume of ours) {
      const name = volume.metadata?.name ?? "";
      const phase = volume.status?.phase;
      if ((phase === "Released" || phase === "Failed") && !volume.metadata?.deletionTimestamp) {
        await each(`deleting ${name}`, async () => {
          const problem = await removeVolume(this.#dir, name);
          if (problem) throw new Error(problem);
          await this.#client.delete(persistentVolumes, name);
        });
      }
    }
    for (const claim of claims.items) {
      await each(`growing ${claim.spec?.volumeName}`, () => this.#grow(claim, ours));
    }
    return { claims: claims.resourceVersion, volumes: volumes.resourceVersion };
  }

  async #provision(claim: Claim, name: string, node: string): Promise<void> {
    const size = claim.spec?.resources?.requests?.storage ?? "1Gi";
    const real = this.#realNodes.has(node);
    // A kwok node mounts nothing: its volume is a name the scheduler can bind.
    const path = real ? await createVolume(this.#dir, name, parseQuantity(size)) : "/nonexistent";
    await this.#client.create(persistentVolumes, {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name, annotations: { [PROVISIONED_BY]: PROVISIONER } },
      spec: {
        capacity: { storage: canonicalizeQuantity(size) },
        accessModes: claim.spec?.accessModes ?? ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Delete",
        storageClassName: STORAGE_CLASS,
        volumeMode: "Filesystem",
        local: { path },
        claimRef: {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          namespace: claim.metadata?.namespace,
          name: claim.metadata?.name,
          uid: claim.metadata?.uid,
        },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [{
              matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }],
            }],
          },
        },
      },
    } as KubeObject);
    this.#log(
      `provisioner: ${name} (${size}) on ${node} for ${claim.metadata?.namespace}/${claim.metadata?.name}`,
    );
  }

  /** A bound claim asking for more than its volume has: grow the file system online. */
  async #grow(claim: Claim, ours: readonly Volume[]): Promise<void> {
    const volume = ours.find((v) => v.metadata?.name === claim.spec?.volumeName);
    const wanted = claim.spec?.resources?.requests?.storage;
    const has = volume?.spec?.capacity?.storage;
    if (!volume || !wanted || !has || claim.status?.phase !== "Bound") return;
    const name = volume.metadata?.name ?? "";
    if (parseQuantity(wanted) > parseQuantity(has)) {
      if (this.#growFailed.get(name) === wanted) return;
      if ((volume.spec as { local?: { path?: string } }).local?.path !== "/nonexistent") {
        try {
          await growVolume(this.#dir, name, parseQuantity(wanted));
        } catch (err) {
          // Growing a mounted ext4 needs CAP_SYS_RESOURCE, which root lacks on
          // some hosts (these VMs): the claim then keeps its old capacity.
          this.#growFailed.set(name, wanted);
          throw err;
        }
      }
      await this.#client.patch(
        persistentVolumes,
        name,
        { spec: { capacity: { storage: wanted } } },
        {
          type: "merge",
        },
      );
    }
    if (parseQuantity(claim.status?.capacity?.storage ?? "0") < parseQuantity(wanted)) {
      await this.#client.patch(
        Resources.persistentVolumeClaims,
        claim.metadata?.name ?? "",
        { status: { capacity: { storage: wanted } } },
        { type: "merge", namespace: claim.metadata?.namespace, subresource: "status" },
      );
    }
  }
}
