"""Kinds kpolicy validates since it bundles every built-in kind: valid manifests of the shapes
people apply pass in every release that serves them, and a misspelt field is found."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kpolicy.schema import SchemaValidator, served_minors

# Valid manifests, written for these tests after the shapes of the Kubernetes documentation.
VALID = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: regional}
provisioner: pd.csi.storage.gke.io
parameters: {type: pd-balanced, replication-type: regional-pd}
reclaimPolicy: Delete
allowVolumeExpansion: true
volumeBindingMode: WaitForFirstConsumer
mountOptions: [discard]
allowedTopologies:
  - matchLabelExpressions:
      - key: topology.gke.io/zone
        values: [europe-west1-b, europe-west1-c]
---
apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: team-a}
spec:
  limits:
    - type: Container
      default: {cpu: 500m, memory: 512Mi}
      defaultRequest: {cpu: 100m, memory: 128Mi}
      max: {cpu: "2", memory: 2Gi}
      maxLimitRequestRatio: {cpu: "10"}
    - type: PersistentVolumeClaim
      max: {storage: 50Gi}
      min: {storage: 1Gi}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: team-a}
spec:
  hard:
    requests.cpu: "20"
    requests.memory: 64Gi
    limits.nvidia.com/gpu: "4"
    count/deployments.apps: "30"
  scopeSelector:
    matchExpressions:
      - {scopeName: PriorityClass, operator: In, values: [high]}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000000
globalDefault: false
description: latency-sensitive services
preemptionPolicy: PreemptLowerPriority
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: gvisor}
handler: runsc
overhead:
  podFixed: {cpu: 250m, memory: 120Mi}
scheduling:
  nodeSelector: {sandbox.gke.io/runtime: gvisor}
  tolerations:
    - {key: sandbox.gke.io/runtime, operator: Equal, value: gvisor, effect: NoSchedule}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: external-lb
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec:
  controller: example.com/ingress-controller
  parameters:
    apiGroup: k8s.example.com
    kind: IngressParameters
    name: external-lb
    scope: Namespace
    namespace: external-configuration
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: efs.csi.aws.com}
spec:
  attachRequired: false
  podInfoOnMount: true
  fsGroupPolicy: File
  volumeLifecycleModes: [Persistent, Ephemeral]
  tokenRequests:
    - audience: ""
      expirationSeconds: 3600
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: nfs-share}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  mountOptions: [nfsvers=4.1]
  nfs: {server: 10.0.0.5, path: /exports/share}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-ssd}
spec:
  capacity: {storage: 375Gi}
  volumeMode: Filesystem
  accessModes: [ReadWriteOnce]
  storageClassName: local-ssd
  local: {path: /mnt/disks/ssd1}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - {key: kubernetes.io/hostname, operator: In, values: [node-1]}
---
apiVersion: v1
kind: PodTemplate
metadata: {name: worker}
template:
  metadata: {labels: {app: worker}}
  spec:
    containers:
      - {name: worker, image: registry.example.com/worker:1.4}
---
apiVersion: v1
kind: Endpoints
metadata: {name: external-db}
subsets:
  - addresses: [{ip: 10.1.2.3}]
    ports: [{name: postgres, port: 5432, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: external-db-1
  labels: {kubernetes.io/service-name: external-db}
addressType: IPv4
ports:
  - {name: postgres, port: 5432, protocol: TCP}
endpoints:
  - addresses: [10.1.2.3]
    conditions: {ready: true}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: leader, namespace: kube-system}
spec:
  holderIdentity: controller-0
  leaseDurationSeconds: 15
---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: PriorityLevelConfiguration
metadata: {name: batch}
spec:
  type: Limited
  limited:
    nominalConcurrencyShares: 10
    lendablePercent: 50
    limitResponse:
      type: Queue
      queuing: {queues: 16, handSize: 4, queueLengthLimit: 50}
---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata: {name: batch-jobs}
spec:
  priorityLevelConfiguration: {name: batch}
  matchingPrecedence: 1000
  distinguisherMethod: {type: ByUser}
  rules:
    - subjects:
        - kind: ServiceAccount
          serviceAccount: {name: runner, namespace: batch}
      resourceRules:
        - {verbs: ["*"], apiGroups: ["*"], resources: ["*"], namespaces: ["*"]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: sidecar-injector}
webhooks:
  - name: inject.sidecar.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: Ignore
    reinvocationPolicy: IfNeeded
    timeoutSeconds: 5
    clientConfig:
      service: {name: injector, namespace: mesh-system, path: /inject, port: 443}
      caBundle: Y2VydGlmaWNhdGU=
    rules:
      - operations: [CREATE]
        apiGroups: [""]
        apiVersions: [v1]
        resources: [pods]
        scope: Namespaced
    namespaceSelector:
      matchLabels: {sidecar-injection: enabled}
    matchConditions:
      - {name: not-system, expression: "!request.userInfo.username.startsWith('system:')"}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {name: metrics-server, namespace: kube-system}
---
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: alice}
spec:
  request: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  usages: [client auth]
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: web.17a, namespace: default}
eventTime: "2024-05-01T10:00:00.000000Z"
reportingController: example.com/controller
reportingInstance: controller-0
action: Scale
reason: ScaledUp
type: Normal
regarding: {kind: Deployment, name: web, namespace: default, apiVersion: apps/v1}
---
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels: {kubernetes.io/hostname: node-1}
spec:
  podCIDR: 10.244.1.0/24
  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  targetCPUUtilizationPercentage: 70
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
    - expression: "object.spec.replicas <= 5"
      message: at most 5 replicas
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit}
spec:
  policyName: replica-limit
  validationActions: [Deny, Audit]
  matchResources:
    namespaceSelector:
      matchLabels: {environment: test}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: single-gpu}
spec:
  spec:
    devices:
      requests:
        - name: gpu
          exactly: {deviceClassName: gpu.example.com}
---
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: gpu.example.com}
spec:
  selectors:
    - cel: {expression: "device.driver == 'gpu.example.com'"}
---
apiVersion: storage.k8s.io/v1
kind: VolumeAttributesClass
metadata: {name: silver}
driverName: pd.csi.storage.gke.io
parameters: {iops: "3000", throughput: "50"}
"""

DOCUMENTS: list[dict[str, Any]] = [d for d in yaml.safe_load_all(VALID) if d]


@pytest.mark.parametrize(
    "document", DOCUMENTS, ids=[f"{d['kind']}-{d['metadata']['name']}" for d in DOCUMENTS]
)
def test_valid_in_every_release_that_serves_it(document: dict[str, Any]) -> None:
    served = served_minors(document["apiVersion"], document["kind"])
    assert served, (document["apiVersion"], document["kind"])
    for minor in served:
        problems = SchemaValidator.for_version(f"1.{minor}").validate(document)
        assert problems == [], (minor, problems)


@pytest.mark.parametrize(
    "document", DOCUMENTS, ids=[f"{d['kind']}-{d['metadata']['name']}" for d in DOCUMENTS]
)
def test_a_misspelt_top_level_field_is_unknown(document: dict[str, Any]) -> None:
    # every kind here has a field besides apiVersion, kind and metadata: misspell the first
    field = next(k for k in document if k not in ("apiVersion", "kind", "metadata"))
    broken = {("x" + k if k == field else k): v for k, v in document.items()}
    problems = SchemaValidator.for_version("1.37").validate(broken)
    assert [(p.rule, p.path) for p in problems if p.rule == "schema-unknown-field"] == [
        ("schema-unknown-field", ("x" + field,))
    ]
