/**
 * The local control plane's kube-scheduler configuration.
 *
 * There is no storage provisioner, so a PVC stays Pending and the scheduler
 * would wait for it to bind forever. VolumeBinding and VolumeZone are the
 * plugins that wait on or reject unbound claims, so this profile places pods
 * without them. VolumeRestrictions and NodeVolumeLimits look each claim up
 * too, and reject a pod whose claim the scheduler's informer has not seen yet
 * ("persistentvolumeclaim ... not found"); the pod then waits for a retry
 * (25 s and 32 s in two load tests of 1,000, each time the last Database to be
 * Ready). With no storage and no CSI drivers here, neither has anything to
 * check.
 *
 * A cluster with real nodes has storage (the harness's provisioner), so there
 * the scheduler keeps every default plugin: claims bind before pods start, as
 * in a real cluster.
 *
 * @module
 */
import { stringify } from "yaml";

/** The plugins this profile turns off (see the module documentation). */
const DISABLED_SCHEDULER_PLUGINS = [
  "VolumeBinding",
  "VolumeZone",
  "VolumeRestrictions",
  "NodeVolumeLimits",
] as const;

/**
 * A `KubeSchedulerConfiguration` for a scheduler that reaches the API server
 * through `kubeconfig`; `volumes` keeps the volume plugins (clusters with storage).
 */
export function schedulerConfigYaml(
  kubeconfig: string,
  options: { volumes?: boolean } = {},
): string {
  const disabled = options.volumes ? [] : DISABLED_SCHEDULER_PLUGINS;
  return stringify({
    apiVersion: "kubescheduler.config.k8s.io/v1",
    kind: "KubeSchedulerConfiguration",
    clientConnection: { kubeconfig, qps: 500, burst: 1000 },
    leaderElection: { leaderElect: false },
    profiles: [{
      schedulerName: "default-scheduler",
      plugins: {
        multiPoint: { disabled: disabled.map((name) => ({ name })) },
      },
    }],
  });
}
