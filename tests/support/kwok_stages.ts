/**
 * kwok Stage definitions for the local control plane. kwok v0.8 ships no
 * built-in stages, so pgop declares the lifecycle it needs: nodes become Ready
 * (and keep heartbeating), scheduled pods become Running and Ready at once,
 * and pods being deleted go away (there is no real kubelet to finish them).
 *
 * Templates are Go templates over the object; `Now`, `Quote`, `NodeIPWith` and
 * `PodIPWith` are kwok's template functions.
 *
 * @module
 */
import { stringify } from "yaml";

const notReady = {
  key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
  operator: "NotIn",
  values: ["True"],
};

const nodeStatus = `
{{ $now := Now }}
conditions:
- type: Ready
  status: "True"
  reason: KubeletReady
  message: kwok simulates this node's kubelet
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
{{ range list "MemoryPressure" "DiskPressure" "PIDPressure" "NetworkUnavailable" }}
- type: {{ . }}
  status: "False"
  reason: KubeletHasSufficientResources
  message: simulated
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
addresses:
{{ with NodeIP }}
- type: InternalIP
  address: {{ . | Quote }}
{{ end }}
{{ with NodeName }}
- type: Hostname
  address: {{ . | Quote }}
{{ end }}
allocatable: {{ or .status.allocatable .status.capacity | toJson }}
capacity: {{ or .status.capacity .status.allocatable | toJson }}
nodeInfo:
  architecture: amd64
  operatingSystem: linux
  kubeletVersion: kwok
  kubeProxyVersion: kwok
  containerRuntimeVersion: kwok
phase: Running
`;

const heartbeat = `
{{ $now := Now }}
conditions:
{{ range .status.conditions }}
- type: {{ .type | Quote }}
  status: {{ .status | Quote }}
  reason: {{ .reason | Quote }}
  message: {{ .message | Quote }}
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ .lastTransitionTime | Quote }}
{{ end }}
`;

const podReady = `
{{ $now := Now }}
conditions:
{{ range list "PodReadyToStartContainers" "Initialized" "ContainersReady" "Ready" }}
- type: {{ . }}
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: true
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
{{ with NodeIPWith .spec.nodeName }}
hostIP: {{ . | Quote }}
hostIPs:
- ip: {{ . | Quote }}
{{ end }}
{{ with PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
podIP: {{ . | Quote }}
podIPs:
- ip: {{ . | Quote }}
{{ end }}
phase: Running
startTime: {{ $now | Quote }}
`;

function stage(name: string, kind: string, spec: Record<string, unknown>) {
  return {
    apiVersion: "kwok.x-k8s.io/v1alpha1",
    kind: "Stage",
    metadata: { name },
    spec: { resourceRef: { apiGroup: "v1", kind }, ...spec },
  };
}

/** The stages, one YAML document each. */
export const kwokStages = [
  stage("pgop-node-ready", "Node", {
    selector: { matchExpressions: [notReady] },
    next: { statusTemplate: nodeStatus },
  }),
  stage("pgop-node-heartbeat", "Node", {
    selector: {
      matchExpressions: [{ ...notReady, operator: "In" }],
    },
    delay: { durationMilliseconds: 20_000, jitterDurationMilliseconds: 25_000 },
    next: { statusTemplate: heartbeat },
  }),
  stage("pgop-pod-ready", "Pod", {
    selector: {
      matchExpressions: [
        { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
        { key: ".spec.nodeName", operator: "Exists" },
        { key: ".status.phase", operator: "In", values: ["Pending"] },
        notReady,
      ],
    },
    next: { statusTemplate: podReady },
  }),
  stage("pgop-pod-delete", "Pod", {
    selector: {
      matchExpressions: [{ key: ".metadata.deletionTimestamp", operator: "Exists" }],
    },
    next: { finalizers: { empty: true }, delete: true },
  }),
];

/** The stages as a multi-document YAML file for `kwok --config`. */
export function kwokStagesYaml(): string {
  return kwokStages.map((s) => stringify(s)).join("---\n");
}

/** A Node object that kwok (started with the matching annotation selector) manages. */
export function kwokNode(name: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake" },
      labels: {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "kubernetes.io/hostname": name,
        type: "kwok",
      },
    },
    status: {
      allocatable: { cpu: "64", memory: "256Gi", pods: "1000" },
      capacity: { cpu: "64", memory: "256Gi", pods: "1000" },
    },
  };
}
