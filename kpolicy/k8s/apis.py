"""Which API group versions serve which built-in kinds, for the Kubernetes releases kpolicy knows.

``kubectl apply`` looks a manifest's ``apiVersion`` and ``kind`` up in the API server's
discovery documents (its RESTMapper); a kind that the group version does not serve fails there,
before anything is sent: ``no matches for kind "Deployment" in version "v1"``. The API server
registers each built-in group in ``pkg/controlplane/instance.go`` (the storage providers of
``pkg/registry/*/rest``), and a CustomResourceDefinition cannot add kinds to those groups: its
group must contain a dot (``ValidateCustomResourceDefinitionSpec``), and the ``*.k8s.io`` groups
are reserved for Kubernetes.

The table lists the GA versions of the kinds that manifests commonly hold. Versions that the
supported releases stopped serving are ``api-version-removed``'s (``kpolicy.checks.names``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# kind -> the apiVersions that serve it in every release kpolicy supports (1.32 and later)
SERVED: Final[Mapping[str, tuple[str, ...]]] = {
    # core (pkg/registry/core/rest)
    "Pod": ("v1",),
    "Service": ("v1",),
    "ConfigMap": ("v1",),
    "Secret": ("v1",),
    "ServiceAccount": ("v1",),
    "Namespace": ("v1",),
    "PersistentVolume": ("v1",),
    "PersistentVolumeClaim": ("v1",),
    "ReplicationController": ("v1",),
    "Endpoints": ("v1",),
    "LimitRange": ("v1",),
    "ResourceQuota": ("v1",),
    "Node": ("v1",),
    "PodTemplate": ("v1",),
    "Event": ("v1", "events.k8s.io/v1"),
    # apps, batch, autoscaling, policy
    "Deployment": ("apps/v1",),
    "StatefulSet": ("apps/v1",),
    "DaemonSet": ("apps/v1",),
    "ReplicaSet": ("apps/v1",),
    "ControllerRevision": ("apps/v1",),
    "Job": ("batch/v1",),
    "CronJob": ("batch/v1",),
    "HorizontalPodAutoscaler": ("autoscaling/v2", "autoscaling/v1"),
    "PodDisruptionBudget": ("policy/v1",),
    # the *.k8s.io groups
    "Ingress": ("networking.k8s.io/v1",),
    "IngressClass": ("networking.k8s.io/v1",),
    "NetworkPolicy": ("networking.k8s.io/v1",),
    "Role": ("rbac.authorization.k8s.io/v1",),
    "ClusterRole": ("rbac.authorization.k8s.io/v1",),
    "RoleBinding": ("rbac.authorization.k8s.io/v1",),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io/v1",),
    "StorageClass": ("storage.k8s.io/v1",),
    "CSIDriver": ("storage.k8s.io/v1",),
    "CSINode": ("storage.k8s.io/v1",),
    "VolumeAttachment": ("storage.k8s.io/v1",),
    "PriorityClass": ("scheduling.k8s.io/v1",),
    "Lease": ("coordination.k8s.io/v1",),
    "RuntimeClass": ("node.k8s.io/v1",),
    "EndpointSlice": ("discovery.k8s.io/v1",),
    "CertificateSigningRequest": ("certificates.k8s.io/v1",),
    "MutatingWebhookConfiguration": ("admissionregistration.k8s.io/v1",),
    "ValidatingWebhookConfiguration": ("admissionregistration.k8s.io/v1",),
    "CustomResourceDefinition": ("apiextensions.k8s.io/v1",),
    "APIService": ("apiregistration.k8s.io/v1",),
}

# The groups the API server itself serves (its built-in groups and the extensions group it
# used to serve). A kind under one of them exists only if Kubernetes defines it there.
BUILTIN_GROUPS: Final = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "extensions",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "node.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "certificates.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "resource.k8s.io",
        "storagemigration.k8s.io",
    }
)


# (apiVersion, kind) -> (replacement apiVersion or None, Kubernetes minor that stopped serving
# it). From the Kubernetes deprecated API migration guide
# (https://kubernetes.io/docs/reference/using-api/deprecation-guide/) and the 1.16 and 1.22
# removal announcements.
REMOVED: Final[Mapping[tuple[str, str], tuple[str | None, int]]] = {
    # 1.16
    ("extensions/v1beta1", "Deployment"): ("apps/v1", 16),
    ("extensions/v1beta1", "DaemonSet"): ("apps/v1", 16),
    ("extensions/v1beta1", "ReplicaSet"): ("apps/v1", 16),
    ("extensions/v1beta1", "NetworkPolicy"): ("networking.k8s.io/v1", 16),
    ("extensions/v1beta1", "PodSecurityPolicy"): (None, 16),
    ("apps/v1beta1", "Deployment"): ("apps/v1", 16),
    ("apps/v1beta1", "StatefulSet"): ("apps/v1", 16),
    ("apps/v1beta1", "ReplicaSet"): ("apps/v1", 16),
    ("apps/v1beta1", "ControllerRevision"): ("apps/v1", 16),
    ("apps/v1beta2", "Deployment"): ("apps/v1", 16),
    ("apps/v1beta2", "StatefulSet"): ("apps/v1", 16),
    ("apps/v1beta2", "DaemonSet"): ("apps/v1", 16),
    ("apps/v1beta2", "ReplicaSet"): ("apps/v1", 16),
    ("apps/v1beta2", "ControllerRevision"): ("apps/v1", 16),
    # 1.22
    ("extensions/v1beta1", "Ingress"): ("networking.k8s.io/v1", 22),
    ("networking.k8s.io/v1beta1", "Ingress"): ("networking.k8s.io/v1", 22),
    ("networking.k8s.io/v1beta1", "IngressClass"): ("networking.k8s.io/v1", 22),
    ("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration"): (
        "admissionregistration.k8s.io/v1",
        22,
    ),
    ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"): (
        "admissionregistration.k8s.io/v1",
        22,
    ),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"): ("apiextensions.k8s.io/v1", 22),
    ("apiregistration.k8s.io/v1beta1", "APIService"): ("apiregistration.k8s.io/v1", 22),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"): ("certificates.k8s.io/v1", 22),
    ("coordination.k8s.io/v1beta1", "Lease"): ("coordination.k8s.io/v1", 22),
    ("rbac.authorization.k8s.io/v1beta1", "Role"): ("rbac.authorization.k8s.io/v1", 22),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"): ("rbac.authorization.k8s.io/v1", 22),
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding"): ("rbac.authorization.k8s.io/v1", 22),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"): (
        "rbac.authorization.k8s.io/v1",
        22,
    ),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"): ("scheduling.k8s.io/v1", 22),
    ("storage.k8s.io/v1beta1", "CSIDriver"): ("storage.k8s.io/v1", 22),
    ("storage.k8s.io/v1beta1", "CSINode"): ("storage.k8s.io/v1", 22),
    ("storage.k8s.io/v1beta1", "StorageClass"): ("storage.k8s.io/v1", 22),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"): ("storage.k8s.io/v1", 22),
    # 1.25
    ("batch/v1beta1", "CronJob"): ("batch/v1", 25),
    ("policy/v1beta1", "PodDisruptionBudget"): ("policy/v1", 25),
    ("policy/v1beta1", "PodSecurityPolicy"): (None, 25),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): ("autoscaling/v2", 25),
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): ("discovery.k8s.io/v1", 25),
    ("events.k8s.io/v1beta1", "Event"): ("events.k8s.io/v1", 25),
    ("node.k8s.io/v1beta1", "RuntimeClass"): ("node.k8s.io/v1", 25),
    # 1.26
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): ("autoscaling/v2", 26),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"): (
        "flowcontrol.apiserver.k8s.io/v1",
        26,
    ),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration"): (
        "flowcontrol.apiserver.k8s.io/v1",
        26,
    ),
    # 1.27
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"): ("storage.k8s.io/v1", 27),
    # 1.29
    ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"): (
        "flowcontrol.apiserver.k8s.io/v1",
        29,
    ),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration"): (
        "flowcontrol.apiserver.k8s.io/v1",
        29,
    ),
    # 1.32
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"): (
        "flowcontrol.apiserver.k8s.io/v1",
        32,
    ),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration"): (
        "flowcontrol.apiserver.k8s.io/v1",
        32,
    ),
}


def group_of(api_version: str) -> str:
    """The group of an apiVersion: ``""`` for ``v1``, ``apps`` for ``apps/v1``."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


_HOME_GROUPS: Final[Mapping[str, frozenset[str]]] = {
    kind: frozenset(group_of(v) for v in versions) for kind, versions in SERVED.items()
}


def home_groups(kind: str) -> frozenset[str]:
    """The groups that serve a built-in kind (empty for a kind kpolicy does not know)."""
    return _HOME_GROUPS.get(kind, frozenset())


def unserved(api_version: object, kind: str) -> tuple[str, ...] | None:
    """The apiVersions to use instead, when ``kind`` is a built-in kind that ``api_version``
    (a version of a built-in group) does not serve and never served in a release kpolicy
    knows of; None when it is served, removed (``REMOVED``), or not known to be refused (a
    custom group may define a kind of the same name)."""
    served = SERVED.get(kind)
    if served is None or not isinstance(api_version, str) or api_version in served:
        return None
    if group_of(api_version) not in BUILTIN_GROUPS or (api_version, kind) in REMOVED:
        return None
    return served


def dispatch_kind(api_version: object, kind: str) -> str:
    """The kind whose rules run on an object: its kind, or ``""`` (only the rules of every
    kind) when its group version does not serve that built-in kind, so that no rule judges a
    Deployment that ``apiVersion: v1`` made into something the API server does not know."""
    if kind in SERVED and unserved(api_version, kind) is not None:
        return ""
    return kind
