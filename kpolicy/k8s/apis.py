"""Which API group versions serve which built-in kinds, for the Kubernetes releases kpolicy knows.

``kubectl apply`` looks a manifest's ``apiVersion`` and ``kind`` up in the API server's
discovery documents (its RESTMapper); a kind that the group version does not serve fails there,
before anything is sent: ``no matches for kind "Deployment" in version "v1"``. The API server
registers each built-in group in ``pkg/controlplane/instance.go`` (the storage providers of
``pkg/registry/*/rest``), and a CustomResourceDefinition cannot add kinds to those groups: its
group must contain a dot (``ValidateCustomResourceDefinitionSpec``), and the ``*.k8s.io`` groups
are reserved for Kubernetes.

The table lists the GA versions of the kinds that manifests commonly hold. Versions that a
release stopped serving, or that a later release removes, are in ``REMOVED``, the table of
``api-version-removed`` and ``api-version-deprecated`` (``kpolicy.checks.apiversions``).
"""

from __future__ import annotations

from collections.abc import Mapping

from kpolicy.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

    # a row of the removals' table: (apiVersion, kinds, removed, replacements, note, source)
    _Row = tuple[str, tuple[str, ...], int, tuple[str, ...], str | None, str]

# kind -> the apiVersions that serve it in every release kpolicy supports (1.29 and later)
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


# The one table of api-version-removed and api-version-deprecated (kpolicy.checks.apiversions):
# the API versions that a release stops serving. Sources: "guide" is the Deprecated API
# Migration Guide (https://kubernetes.io/docs/reference/using-api/deprecation-guide/, "Removed
# APIs by release": 1.16, 1.22, 1.25, 1.26, 1.27, 1.29, 1.32); "schemas" marks alpha and beta
# versions (served only when enabled with --runtime-config, so the guide does not list them)
# that leave the OpenAPI documents of a release: the bundled schemas (schemas/k8s/, generated
# with every version enabled) serve the kind in the release before `removed` and not from it.
# tests/test_api_versions.py checks the table and the bundle against each other. `replacements`
# are the apiVersions serving the same kind, the stable one first; the messages name the first
# one the selected release serves (kpolicy.schema.served_minors). For flowcontrol v1beta1 and
# v1beta2 the guide names v1beta3, itself removed in 1.32: every supported release serves v1.


@record(frozen=True, slots=True)
class Removal:
    """An apiVersion of a kind that Kubernetes 1.<removed> stops serving."""

    api_version: str
    kind: str
    removed: int
    replacements: tuple[str, ...]
    note: str | None
    source: str


def _entry(
    api_version: str,
    kinds: tuple[str, ...],
    removed: int,
    replacements: tuple[str, ...],
    note: str | None = None,
    source: str = "guide",
) -> _Row:
    """A row of the table, a tuple: a record class and one of its instances for each of the
    fifty rows were most of importing this module at every start, for a table read once."""
    return (api_version, kinds, removed, replacements, note, source)


_REMOVALS: Final = (
    # 1.16
    _entry("extensions/v1beta1", ("Deployment", "DaemonSet", "ReplicaSet"), 16, ("apps/v1",)),
    _entry("extensions/v1beta1", ("NetworkPolicy",), 16, ("networking.k8s.io/v1",)),
    _entry(
        "extensions/v1beta1",
        ("PodSecurityPolicy",),
        16,
        (),
        note="Pod Security Admission took its place",
    ),
    _entry(
        "apps/v1beta1",
        ("Deployment", "StatefulSet", "ReplicaSet", "ControllerRevision"),
        16,
        ("apps/v1",),
    ),
    _entry(
        "apps/v1beta2",
        ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"),
        16,
        ("apps/v1",),
    ),
    # 1.22
    _entry("extensions/v1beta1", ("Ingress",), 22, ("networking.k8s.io/v1",)),
    _entry("networking.k8s.io/v1beta1", ("Ingress", "IngressClass"), 22, ("networking.k8s.io/v1",)),
    _entry(
        "admissionregistration.k8s.io/v1beta1",
        ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
        22,
        ("admissionregistration.k8s.io/v1",),
    ),
    _entry(
        "apiextensions.k8s.io/v1beta1",
        ("CustomResourceDefinition",),
        22,
        ("apiextensions.k8s.io/v1",),
    ),
    _entry("apiregistration.k8s.io/v1beta1", ("APIService",), 22, ("apiregistration.k8s.io/v1",)),
    _entry("authentication.k8s.io/v1beta1", ("TokenReview",), 22, ("authentication.k8s.io/v1",)),
    _entry(
        "authorization.k8s.io/v1beta1",
        ("LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview"),
        22,
        ("authorization.k8s.io/v1",),
    ),
    _entry(
        "certificates.k8s.io/v1beta1",
        ("CertificateSigningRequest",),
        22,
        ("certificates.k8s.io/v1",),
    ),
    _entry("coordination.k8s.io/v1beta1", ("Lease",), 22, ("coordination.k8s.io/v1",)),
    _entry(
        "rbac.authorization.k8s.io/v1beta1",
        ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"),
        22,
        ("rbac.authorization.k8s.io/v1",),
    ),
    _entry("scheduling.k8s.io/v1beta1", ("PriorityClass",), 22, ("scheduling.k8s.io/v1",)),
    _entry(
        "storage.k8s.io/v1beta1",
        ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"),
        22,
        ("storage.k8s.io/v1",),
    ),
    # 1.25
    _entry("batch/v1beta1", ("CronJob",), 25, ("batch/v1",)),
    _entry("discovery.k8s.io/v1beta1", ("EndpointSlice",), 25, ("discovery.k8s.io/v1",)),
    _entry("events.k8s.io/v1beta1", ("Event",), 25, ("events.k8s.io/v1",)),
    _entry("autoscaling/v2beta1", ("HorizontalPodAutoscaler",), 25, ("autoscaling/v2",)),
    _entry("policy/v1beta1", ("PodDisruptionBudget",), 25, ("policy/v1",)),
    _entry(
        "policy/v1beta1",
        ("PodSecurityPolicy",),
        25,
        (),
        note="Pod Security Admission took its place",
    ),
    _entry("node.k8s.io/v1beta1", ("RuntimeClass",), 25, ("node.k8s.io/v1",)),
    # 1.26
    _entry(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        ("FlowSchema", "PriorityLevelConfiguration"),
        26,
        ("flowcontrol.apiserver.k8s.io/v1",),
    ),
    _entry("autoscaling/v2beta2", ("HorizontalPodAutoscaler",), 26, ("autoscaling/v2",)),
    # 1.27
    _entry("storage.k8s.io/v1beta1", ("CSIStorageCapacity",), 27, ("storage.k8s.io/v1",)),
    # 1.29
    _entry(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        ("FlowSchema", "PriorityLevelConfiguration"),
        29,
        ("flowcontrol.apiserver.k8s.io/v1",),
    ),
    # 1.31
    _entry(
        "networking.k8s.io/v1alpha1",
        ("IPAddress", "ServiceCIDR"),
        31,
        ("networking.k8s.io/v1", "networking.k8s.io/v1beta1"),
        source="schemas",
    ),
    _entry(
        "resource.k8s.io/v1alpha2",
        ("ResourceClaim", "ResourceClaimTemplate", "ResourceSlice"),
        31,
        (
            "resource.k8s.io/v1",
            "resource.k8s.io/v1beta2",
            "resource.k8s.io/v1beta1",
            "resource.k8s.io/v1alpha3",
        ),
        note="classic DRA was removed; the replacement uses structured parameters and DeviceClasses",
        source="schemas",
    ),
    _entry(
        "resource.k8s.io/v1alpha2",
        ("ResourceClass",),
        31,
        (),
        note="classic DRA was removed; a DeviceClass (resource.k8s.io) takes its place",
        source="schemas",
    ),
    _entry(
        "resource.k8s.io/v1alpha2",
        ("ResourceClaimParameters", "ResourceClassParameters"),
        31,
        (),
        note="classic DRA was removed; structured parameters take their place",
        source="schemas",
    ),
    _entry(
        "resource.k8s.io/v1alpha2",
        ("PodSchedulingContext",),
        31,
        (),
        note="classic DRA was removed; the scheduler allocates structured-parameter claims itself",
        source="schemas",
    ),
    # 1.32
    _entry(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        ("FlowSchema", "PriorityLevelConfiguration"),
        32,
        ("flowcontrol.apiserver.k8s.io/v1",),
    ),
    _entry(
        "admissionregistration.k8s.io/v1alpha1",
        ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"),
        32,
        ("admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1beta1"),
        source="schemas",
    ),
    _entry(
        "authentication.k8s.io/v1alpha1",
        ("SelfSubjectReview",),
        32,
        ("authentication.k8s.io/v1",),
        source="schemas",
    ),
    _entry(
        "coordination.k8s.io/v1alpha1",
        ("LeaseCandidate",),
        32,
        ("coordination.k8s.io/v1beta1", "coordination.k8s.io/v1alpha2"),
        source="schemas",
    ),
    _entry(
        "resource.k8s.io/v1alpha3",
        ("PodSchedulingContext",),
        32,
        (),
        note="the scheduler allocates structured-parameter claims itself",
        source="schemas",
    ),
    # 1.33
    _entry(
        "authentication.k8s.io/v1beta1",
        ("SelfSubjectReview",),
        33,
        ("authentication.k8s.io/v1",),
        source="schemas",
    ),
    # 1.34
    _entry(
        "admissionregistration.k8s.io/v1beta1",
        ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"),
        34,
        ("admissionregistration.k8s.io/v1",),
        source="schemas",
    ),
    _entry(
        "resource.k8s.io/v1alpha3",
        ("DeviceClass", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice"),
        34,
        ("resource.k8s.io/v1", "resource.k8s.io/v1beta2", "resource.k8s.io/v1beta1"),
        source="schemas",
    ),
    # 1.35
    _entry(
        "certificates.k8s.io/v1alpha1",
        ("PodCertificateRequest",),
        35,
        ("certificates.k8s.io/v1", "certificates.k8s.io/v1beta1"),
        source="schemas",
    ),
    _entry(
        "storage.k8s.io/v1alpha1",
        ("VolumeAttributesClass",),
        35,
        ("storage.k8s.io/v1", "storage.k8s.io/v1beta1"),
        source="schemas",
    ),
    _entry(
        "storagemigration.k8s.io/v1alpha1",
        ("StorageVersionMigration",),
        35,
        ("storagemigration.k8s.io/v1", "storagemigration.k8s.io/v1beta1"),
        source="schemas",
    ),
    # 1.36
    _entry(
        "scheduling.k8s.io/v1alpha1",
        ("Workload",),
        36,
        ("scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1alpha3", "scheduling.k8s.io/v1alpha2"),
        source="schemas",
    ),
    # 1.37
    _entry(
        "certificates.k8s.io/v1alpha1",
        ("ClusterTrustBundle",),
        37,
        ("certificates.k8s.io/v1", "certificates.k8s.io/v1beta1"),
        source="schemas",
    ),
    _entry(
        "networking.k8s.io/v1beta1",
        ("IPAddress", "ServiceCIDR"),
        37,
        ("networking.k8s.io/v1",),
        source="schemas",
    ),
    _entry(
        "scheduling.k8s.io/v1alpha2",
        ("PodGroup", "Workload"),
        37,
        ("scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1alpha3"),
        source="schemas",
    ),
    _entry(
        "storage.k8s.io/v1beta1",
        ("VolumeAttributesClass",),
        37,
        ("storage.k8s.io/v1",),
        source="schemas",
    ),
)

# (apiVersion, kind) -> its removal
REMOVED: Final[Mapping[tuple[str, str], Removal]] = {
    (api_version, kind): Removal(api_version, kind, removed, replacements, note, source)
    for api_version, kinds, removed, replacements, note, source in _REMOVALS
    for kind in kinds
}


def group_of(api_version: str) -> str:
    """The group of an apiVersion: ``""`` for ``v1``, ``apps`` for ``apps/v1``."""
    return api_version.rpartition("/")[0]


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
