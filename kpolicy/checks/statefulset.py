"""StatefulSet rules: the governing Service, names, claim templates and the update strategy.

Each check judges the object as the API server stores it after ``SetDefaults_StatefulSet``
(pkg/apis/apps/v1/defaults.go): podManagementPolicy OrderedReady, updateStrategy RollingUpdate
with partition 0, replicas 1, revisionHistoryLimit 10, retention policy Retain/Retain.
Values of the wrong type are left to the schema rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from kpolicy.checks import Reads, RuleContext, check
from kpolicy.features import gate_enabled, gate_reason
from kpolicy.fix import set_value
from kpolicy.k8s.selector import Selector, labels_str
from kpolicy.k8s.validation import is_dns1123_label
from kpolicy.model import Anchor, KObject, Path, Problem, Related
from kpolicy.versions import minor
from kpolicy.workload import (
    WORKLOAD_KINDS,
    Workload,
    containers,
    get,
    governing_service,
    int_value,
    is_headless,
    pod_spec,
    sequence,
    spec_of,
    template_labels,
)
from kpolicy.workload import cluster_ip as workload_cluster_ip

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ON_DELETE = "OnDelete"

# the controller-revision-hash label value is "<name>-<hash>" (history.ControllerRevisionName);
# the hash is a 32-bit FNV hash printed in decimal and re-encoded character by character
# (HashControllerRevision), so it has up to 10 characters
_REVISION_HASH_MAX = 10
_LABEL_VALUE_MAX = 63
STATEFULSET_NAME_MAX = _LABEL_VALUE_MAX - 1 - _REVISION_HASH_MAX  # 52


# pkg/features/kube_features.go: the release from which a gate is on by default
def _gate_enabled(name: str, ctx: RuleContext) -> tuple[bool, str]:
    """Whether a feature gate is on, and a phrase saying why (explicit setting or default)."""
    return (
        gate_enabled(name, ctx.kubernetes_version, ctx.feature_gates),
        gate_reason(name, ctx.kubernetes_version, ctx.feature_gates),
    )


def _view(obj: KObject) -> Workload:
    """The workload view of a StatefulSet (the rules here are dispatched on that kind)."""
    return Workload(WORKLOAD_KINDS["StatefulSet"], obj.data)


def _pod_names(obj: KObject) -> str:
    """The Pods by name (getPodName: ``<name>-<ordinal>``), shortened to a range if many."""
    view = _view(obj)
    replicas = view.replicas
    if not replicas or replicas < 0 or not obj.name:
        return "its Pods"  # scaled to zero, or no name to build Pod names from
    start = view.start_ordinal
    if replicas == 1:
        return f"Pod {obj.name}-{start}"
    if replicas == 2:
        return f"Pods {obj.name}-{start} and {obj.name}-{start + 1}"
    return f"Pods {obj.name}-{start} to {obj.name}-{start + replicas - 1}"


# ---------------------------------------------------------------------------------------------
# The governing Service


def _service_name(obj: KObject) -> str | None:
    """A serviceName that is a valid DNS label, else None (other rules report the rest)."""
    name = get(obj.data, "spec", "serviceName")
    if not isinstance(name, str) or not name or is_dns1123_label(name):
        return None
    return name


def _governing_service(obj: KObject, ctx: RuleContext) -> tuple[KObject, str] | None:
    """The Service named by serviceName (workload.governing_service), and a note for the
    message when the run holds several of that name; once per StatefulSet and run (three
    rules ask)."""
    known: dict[int, tuple[KObject, str] | None] = ctx.index.memo("governing-services", dict)
    key = id(obj)
    if key in known:
        return known[key]
    name = _service_name(obj)
    found = None if name is None else governing_service(obj, name, ctx.index, template_labels(obj))
    known[key] = found
    return found


# identityMatches / updateIdentity (pkg/controller/statefulset/stateful_set_utils.go): every Pod's
# spec.subdomain is the StatefulSet's serviceName; without it no Pod gets a DNS name of its own.
@check("statefulset-service-name-missing")
def service_name_missing(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    spec = spec_of(obj)
    if spec is None:
        return
    value = spec.get("serviceName")
    if "serviceName" not in spec:
        yield Problem(
            ("spec", "serviceName"),
            f"no spec.serviceName: no stable DNS names for {_pod_names(obj)}, only hostnames",
        )
    elif value is None or value == "":
        yield Problem(
            ("spec", "serviceName"),
            f"spec.serviceName is {'null' if value is None else 'empty'}: no stable DNS names "
            f"for {_pod_names(obj)}, only hostnames",
            anchor="key" if value is None else "value",
        )


# ValidateStatefulSetSpec (pkg/apis/apps/validation, 1.33 and later): a non-empty serviceName must
# be a DNS-1123 label. Earlier the StatefulSet is accepted, but updateIdentity copies the name
# into each Pod's spec.subdomain, which ValidatePodSpec checks as a DNS-1123 label.
@check("statefulset-service-name-invalid")
def service_name_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    name = get(obj.data, "spec", "serviceName")
    if not isinstance(name, str) or not name:
        return
    errors = is_dns1123_label(name)
    if not errors:
        return
    detail = " and ".join(errors)
    if minor(ctx.kubernetes_version) >= 33:
        message = f"the API server rejects this: spec.serviceName {detail}"
    else:
        message = (
            f"spec.serviceName {detail}: Kubernetes {ctx.kubernetes_version} accepts the "
            "StatefulSet, but every Pod creation fails because the Pod's spec.subdomain must "
            "be a DNS-1123 label (rejected by the API server from 1.33)"
        )
    yield Problem(("spec", "serviceName"), message, rejects=minor(ctx.kubernetes_version) >= 33)


@check("statefulset-service-not-found", reads=Reads.INDEX, kinds=("Service",))
def service_not_found(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    name = _service_name(obj)
    if name is None or _governing_service(obj, ctx) is not None:
        return
    pods = _pod_names(obj)
    elsewhere = ctx.index.all_named("Service", obj.namespace, name)
    if elsewhere:
        other = elsewhere[0]
        yield Problem(
            ("spec", "serviceName"),
            f"Service {name!r} exists only in a kustomize build or chart that is never applied "
            f"with this StatefulSet ({other.source.display}): no per-Pod DNS records for {pods} "
            "until a headless Service of that name is applied with it",
            related=(
                Related(other, ("metadata", "name"), "a Service of that name, applied apart"),
            ),
        )
        return
    yield Problem(
        ("spec", "serviceName"),
        f"no Service {name!r} in namespace {obj.namespace!r} among the linted files and "
        f"--context: no per-Pod DNS records for {pods} until a headless Service of that name "
        "exists",
    )


# Per-Pod DNS records (<pod>.<service>.<namespace>.svc.<domain>) are published only for the
# endpoints of a headless Service, one with clusterIP None (the DNS specification for
# Kubernetes, and the endpoints controllers' hostname handling).
@check("statefulset-service-not-headless", reads=Reads.INDEX, kinds=("Service",))
def service_not_headless(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = _governing_service(obj, ctx)
    if found is None:
        return
    service, note = found
    pods = _pod_names(obj)
    if get(service.data, "spec", "type") == "ExternalName":
        yield Problem(
            ("spec", "serviceName"),
            f"Service {service.name!r} is of type ExternalName, not headless: no per-Pod DNS "
            f"records exist for {pods}{note}",
            related=(Related(service, ("spec", "type"), "the Service's type"),),
        )
        return
    cluster_ip, ip_path = workload_cluster_ip(service.data)
    if is_headless(service.data):
        return
    if cluster_ip in (None, ""):
        why = "clusterIP is unset, so a cluster IP is allocated"
        ip_path = ("spec",)
    elif isinstance(cluster_ip, str) and cluster_ip.lower() == "none":
        why = (
            f"clusterIP {cluster_ip!r} is not 'None' (and not an IP address either, which "
            "the API server rejects)"
        )
    else:
        why = f"clusterIP is {cluster_ip!r}, not None"
    yield Problem(
        ("spec", "serviceName"),
        f"Service {service.name!r} is not headless: {why}; no per-Pod DNS records exist for "
        f"{pods}{note}",
        related=(Related(service, ip_path, "the Service's clusterIP"),),
        # clusterIP is immutable (ValidateServiceUpdate): applying it fails until the Service
        # is deleted and created again; with clusterIPs set two fields would change (left to
        # a human)
        fix=None
        if get(service.data, "spec", "clusterIPs")
        else set_value(
            service,
            ("spec", "clusterIP"),
            "None",
            f"Make Service {service.name!r} headless with clusterIP: None (unsafe: the "
            "Service must be deleted and created again, and loses its cluster IP)",
            "unsafe",
            finding_file=obj.source.display,
        ),
    )


# Per-Pod DNS records come from the Service's endpoints, and the EndpointSlice controller only
# lists Pods that the Service's selector matches (a Service without a selector is managed by
# hand and left alone here).
@check("statefulset-service-selector-mismatch", reads=Reads.INDEX, kinds=("Service",))
def service_selector_mismatch(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = _governing_service(obj, ctx)
    if found is None:
        return
    service, note = found
    if get(service.data, "spec", "type") == "ExternalName":
        return
    selector = Selector.from_map(get(service.data, "spec", "selector"))
    if selector is None or selector.selects_nothing:
        return
    if not isinstance(get(obj.data, "spec", "template"), dict):
        return
    labels = template_labels(obj)
    if selector.matches(labels):
        return
    yield Problem(
        ("spec", "serviceName"),
        f"the selector {selector} of Service {service.name!r} does not match the template "
        f"labels {labels_str(labels)}: no endpoints and no per-Pod DNS records for "
        f"{_pod_names(obj)}{note}",
        related=(Related(service, ("spec", "selector"), "the Service's selector"),),
    )


# ---------------------------------------------------------------------------------------------
# Names


# The controller labels every Pod with controller-revision-hash = the revision's name, which is
# "<set name>-<hash>" (history.ControllerRevisionName with the hash of HashControllerRevision, up
# to 10 characters), and with statefulset.kubernetes.io/pod-name = getPodName(set, ordinal),
# "<set name>-<ordinal>", which is also the Pod's hostname. Label values and hostnames are at most
# 63 characters, so a longer value makes every Pod creation fail.
@check("statefulset-name-too-long")
def name_too_long(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    name = obj.ref.name
    if not isinstance(name, str) or not name or is_dns1123_label(name):
        return  # no name, or one the API server rejects (name-invalid)
    reasons: list[str] = []
    if len(name) > STATEFULSET_NAME_MAX:
        reasons.append(
            f"the Pods' controller-revision-hash label '{name}-<hash>' can reach "
            f"{len(name) + 1 + _REVISION_HASH_MAX} characters (a label value allows "
            f"{_LABEL_VALUE_MAX})"
        )
    view = _view(obj)
    replicas = view.replicas
    if replicas is not None and replicas > 0:
        highest = f"{name}-{view.start_ordinal + replicas - 1}"
        if len(highest) > _LABEL_VALUE_MAX:
            reasons.append(
                f"the Pod name {highest!r} has {len(highest)} characters (a hostname and the "
                f"statefulset.kubernetes.io/pod-name label allow {_LABEL_VALUE_MAX})"
            )
    if not reasons:
        return
    yield Problem(
        ("metadata", "name"),
        f"StatefulSet name {name!r} has {len(name)} characters, more than "
        f"{STATEFULSET_NAME_MAX}: " + ", and ".join(reasons) + "; the API server rejects the Pods",
    )


# ---------------------------------------------------------------------------------------------
# volumeClaimTemplates


def _claim_templates(obj: KObject) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """Each claim template mapping with its index and its metadata.name (None if not a string)."""
    for i, claim in enumerate(sequence(get(obj.data, "spec", "volumeClaimTemplates"))):
        if isinstance(claim, dict):
            name = get(claim, "metadata", "name")
            yield i, claim, name if isinstance(name, str) and name else None


def _claim_name_path(index: int) -> Path:
    return ("spec", "volumeClaimTemplates", index, "metadata", "name")


# A claim template's volume reaches a container only through a volumeMount (filesystem) or a
# volumeDevice (block) that names it; updateStorage adds the volume to the Pod either way and
# the controller creates the claim for every Pod (createPersistentVolumeClaims).
@check("volume-claim-template-unused")
def claim_template_unused(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    used: set[str] = set()
    any_container = False
    for _, container in containers(spec_path, spec, init=True):
        any_container = True
        for field in ("volumeMounts", "volumeDevices"):
            for ref in sequence(container.get(field)):
                if isinstance(ref, dict) and isinstance(ref.get("name"), str):
                    used.add(ref["name"])
    if not any_container:
        return  # a template without containers is the schema rules' finding
    for index, _, name in _claim_templates(obj):
        if name is None or name in used:
            continue
        yield Problem(
            _claim_name_path(index),
            f"claim template {name!r} is mounted by no container (no volumeMount or "
            f"volumeDevice named {name!r}): the controller still creates a claim "
            f"'{name}-{obj.name}-<ordinal>' for every Pod",
        )


def _volume_source(volume: Mapping[str, Any]) -> str | None:
    """The volume source field of a pod volume (emptyDir, configMap, ...), if there is one."""
    for key in volume:
        if key != "name":
            return str(key)
    return None


# updateStorage (pkg/controller/statefulset/stateful_set_utils.go): a pod volume whose name is
# the name of a claim template is dropped and replaced by the claim's volume.
@check("volume-claim-template-shadows-volume")
def claim_template_shadows_volume(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    volumes: dict[str, tuple[int, dict[str, Any]]] = {}
    for j, volume in enumerate(sequence(spec.get("volumes"))):
        if isinstance(volume, dict) and isinstance(volume.get("name"), str):
            volumes.setdefault(volume["name"], (j, volume))
    for index, _, name in _claim_templates(obj):
        if name is None or name not in volumes:
            continue
        j, volume = volumes[name]
        source = _volume_source(volume)
        described = f"pod volume {name!r}" + (f" ({source})" if source else "")
        yield Problem(
            _claim_name_path(index),
            f"claim template {name!r} has the name of {described}: the controller replaces "
            f"that volume with the claim '{name}-{obj.name}-<ordinal>'",
            related=(
                Related(obj, (*spec_path, "volumes", j, "name"), "the pod volume it replaces"),
            ),
        )


# supportedAccessModes in pkg/apis/core/validation/validation.go
_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")


def _claim_spec_errors(claim: Mapping[str, Any], base: Path) -> Iterator[tuple[Path, Anchor, str]]:
    """(path, anchor, message) for what ValidatePersistentVolumeClaimSpec rejects among the
    access modes and the storage request (pkg/apis/core/validation/validation.go)."""
    spec = claim.get("spec")
    spec_path = (*base, "spec")
    if spec is None:
        yield (
            spec_path,
            "auto",
            "spec is missing: at least 1 access mode and a storage request are required",
        )
        return
    if not isinstance(spec, dict):
        return
    modes = spec.get("accessModes")
    if modes is None or modes == []:
        yield (
            (*spec_path, "accessModes"),
            "auto",
            "spec.accessModes is "
            + ("empty" if modes == [] else "missing")
            + ": at least 1 access mode is required",
        )
    elif isinstance(modes, list):
        once_pod = other = False
        for k, mode in enumerate(modes):
            if not isinstance(mode, str):
                continue
            if mode not in _ACCESS_MODES:
                yield (
                    (*spec_path, "accessModes", k),
                    "auto",
                    f"access mode {mode!r} is not one of {', '.join(_ACCESS_MODES)}",
                )
            elif mode == "ReadWriteOncePod":
                once_pod = True
            else:
                other = True
        if once_pod and other:
            yield (
                (*spec_path, "accessModes"),
                "key",
                "ReadWriteOncePod may not be combined with other access modes",
            )
    resources = spec.get("resources")
    if resources is not None and not isinstance(resources, dict):
        return
    requests = get(resources, "requests")
    if requests is not None and not isinstance(requests, dict):
        return
    storage_path = (*spec_path, "resources", "requests", "storage")
    if not isinstance(requests, dict) or "storage" not in requests:
        yield (storage_path, "auto", "spec.resources.requests.storage is missing")
        return
    storage = requests["storage"]
    if isinstance(storage, bool) or not isinstance(storage, str | int | float):
        return  # null and other types are decoding errors, the schema rules' findings
    from kpolicy.k8s.quantity import quantity_nanos  # where a quantity is read (start-up)

    quantity = quantity_nanos(storage)
    if quantity is None:
        yield (storage_path, "auto", f"storage request {storage!r} is not a valid quantity")
    elif quantity <= 0:
        yield (storage_path, "auto", f"storage request {storage!r} must be greater than zero")


# ValidateStatefulSetSpec validates every claim template with ValidatePersistentVolumeClaimSpec
# from Kubernetes 1.34; before that only the controller's PVC creation
# (createPersistentVolumeClaims) meets the same validation and fails.
@check("volume-claim-template-invalid")
def claim_template_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    rejected = minor(ctx.kubernetes_version) >= 34
    for index, claim, name in _claim_templates(obj):
        label = f"claim template {name!r}" if name else f"volumeClaimTemplates[{index}]"
        base: Path = ("spec", "volumeClaimTemplates", index)
        for path, anchor, detail in _claim_spec_errors(claim, base):
            if rejected:
                message = f"the API server rejects this: {label}: {detail}"
            else:
                claim_name = f"'{name}-{obj.name}-<ordinal>'" if name else "of every Pod"
                message = (
                    f"{label}: {detail}; Kubernetes {ctx.kubernetes_version} accepts the "
                    f"StatefulSet, but creating the claim {claim_name} fails, so no Pod starts"
                )
            yield Problem(path, message, anchor=anchor, rejects=rejected)


# ---------------------------------------------------------------------------------------------
# Update strategy and other spec fields

_ROLLING_PATH: Path = ("spec", "updateStrategy", "rollingUpdate")


# validateRollingUpdateStatefulSet (pkg/apis/apps/validation): ValidateNonnegativeField on the
# partition, for the RollingUpdate strategy only.
@check("statefulset-partition-invalid")
def partition_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    partition = _view(obj).partition
    if partition is not None and partition < 0:
        yield Problem(
            (*_ROLLING_PATH, "partition"),
            f"the API server rejects this: spec.updateStrategy.rollingUpdate.partition {partition} "
            "must be greater than or equal to 0",
        )


# updateStatefulSet (pkg/controller/statefulset/stateful_set_control.go) updates the replicas
# from the highest index down to the partition, an index counted from ordinals.start; and
# newVersionedStatefulSetPod / isCurrentRevisionNeeded (stateful_set_utils.go) create Pods below
# start + partition at the current revision. A partition of at least replicas updates no Pod.
@check("statefulset-partition-exceeds-replicas")
def partition_exceeds_replicas(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if spec_of(obj) is None:
        return
    view = _view(obj)
    partition = view.partition  # as decoded: partition 3.0 is 3
    replicas = view.replicas
    if partition is None or replicas is None or partition <= 0 or replicas < 0:
        return
    if partition < replicas:
        return
    start = view.start_ordinal
    yield Problem(
        (*_ROLLING_PATH, "partition"),
        f"partition {partition} is not below replicas {replicas}: only ordinals from "
        f"{start} + {partition} = {start + partition} up are updated, so a template change "
        f"does not update {_pod_names(obj)}",
    )


# ValidateStatefulSetSpec (pkg/apis/apps/validation): with the OnDelete strategy, rollingUpdate
# must be absent; SetDefaults_StatefulSet does not clear it.
@check("statefulset-rolling-update-on-delete")
def rolling_update_on_delete(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    spec = spec_of(obj)
    if spec is None or _view(obj).strategy_type != ON_DELETE:
        return
    rolling = get(spec, "updateStrategy", "rollingUpdate")
    if rolling is None:
        return  # absent or null: nil after decoding
    yield Problem(
        _ROLLING_PATH,
        "the API server rejects this: spec.updateStrategy.rollingUpdate is only allowed for "
        "updateStrategy 'RollingUpdate', and the type is 'OnDelete'",
        anchor="key",
    )


# dropStatefulSetDisabledFields (pkg/registry/apps/statefulset/strategy.go) drops maxUnavailable
# on create when the MaxUnavailableStatefulSet gate is off, and the controller
# (getStatefulSetMaxUnavailable) only reads it with the gate on; off, it replaces one Pod at a time.
@check("statefulset-max-unavailable-ignored")
def max_unavailable_ignored(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    rolling = _view(obj).rolling_update
    if rolling is None or rolling.get("maxUnavailable") is None:
        return
    enabled, why = _gate_enabled("MaxUnavailableStatefulSet", ctx)
    if enabled:
        return
    value = rolling["maxUnavailable"]
    yield Problem(
        (*_ROLLING_PATH, "maxUnavailable"),
        f"maxUnavailable {value!r} is ignored: {why}, so the API server drops the field and "
        "the controller updates one Pod at a time",
    )


_POD_MANAGEMENT_POLICIES = ("OrderedReady", "Parallel")
_RETENTION_POLICIES = ("Retain", "Delete")


# ValidateStatefulSetSpec and ValidatePersistentVolumeClaimRetentionPolicy
# (pkg/apis/apps/validation), after SetDefaults_StatefulSet filled the empty values.
@check("statefulset-spec-invalid")
def spec_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    spec = spec_of(obj)
    if spec is None:
        return
    policy = spec.get("podManagementPolicy")
    if isinstance(policy, str) and policy and policy not in _POD_MANAGEMENT_POLICIES:
        yield Problem(
            ("spec", "podManagementPolicy"),
            f"the API server rejects this: spec.podManagementPolicy {policy!r} must be "
            "'OrderedReady' or 'Parallel'",
        )
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(retention, dict):
        for field in ("whenDeleted", "whenScaled"):
            value = retention.get(field)
            if isinstance(value, str) and value and value not in _RETENTION_POLICIES:
                yield Problem(
                    ("spec", "persistentVolumeClaimRetentionPolicy", field),
                    f"the API server rejects this: "
                    f"spec.persistentVolumeClaimRetentionPolicy.{field} {value!r} is not "
                    "supported (Retain or Delete)",
                )
    start = int_value(get(spec, "ordinals", "start"))
    if start is not None and start < 0:
        yield Problem(
            ("spec", "ordinals", "start"),
            f"the API server rejects this: spec.ordinals.start {start} must be greater than or "
            "equal to 0",
        )


# statefulSetStrategy.WarningsOnCreate (pkg/registry/apps/statefulset/strategy.go) warns about a
# negative limit; truncateHistory then never deletes a revision.
@check("statefulset-revision-history-negative")
def revision_history_negative(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    limit = int_value(get(obj.data, "spec", "revisionHistoryLimit"))
    if limit is None or limit >= 0:
        return
    yield Problem(
        ("spec", "revisionHistoryLimit"),
        f"spec.revisionHistoryLimit {limit} is negative: the API server accepts it with a "
        "warning, and the controller then keeps every old ControllerRevision",
    )
