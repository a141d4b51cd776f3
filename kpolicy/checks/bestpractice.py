"""Best-practice rules that a JSON Schema cannot express: relations inside a container, between
the pod and its containers, and between objects (HorizontalPodAutoscaler, PodDisruptionBudget).

The simpler best-practice rules are declarative (``check:`` in their ``rules/<id>.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kpolicy.checks import FEW, Reads, RuleContext, check, few
from kpolicy.checks.podspec import quoted_detail, rejection, template_rejects
from kpolicy.index import SCALER_KINDS, scope_namespace
from kpolicy.k8s.intstr import percent_value, scaled_value
from kpolicy.k8s.selector import Selector, labels_str
from kpolicy.k8s.validation import is_valid_port_name
from kpolicy.model import Anchor, KObject, Path, Problem, Related
from kpolicy.workload import (
    custom_layout,
    get,
    int_value,
    mapping,
    pod_containers,
    pod_spec,
    sequence,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_REPLICATED = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})


def _named(container: dict[str, Any], path: Path) -> str:
    name = container.get("name")
    return repr(name) if isinstance(name, str) else f"#{path[-1]}"


def _where(path: Path, container: dict[str, Any], field: str) -> tuple[Path, Anchor]:
    """A container field's place, or the container itself (its first line) when it is missing."""
    if field in container:
        return (*path, field), "key"
    return path, "auto"


# --- images -----------------------------------------------------------------------------------


def image_tag(image: str) -> tuple[str | None, bool]:
    """(tag, pinned by digest) of an image reference (``docker/distribution/reference``).

    The tag follows the last ``:`` of the last path component, so the registry port of
    ``localhost:5000/web`` is not a tag.
    """
    name, at, _digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    _repo, colon, tag = last.partition(":")
    return (tag if colon else None), bool(at)


@check("image-tag-missing-or-latest")
def image_tag_missing_or_latest(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    for path, container in pod_containers(obj, ephemeral=True):
        image = container.get("image")
        if not isinstance(image, str) or not image.strip() or "$" in image:
            continue  # missing or templated images are other rules' findings
        tag, pinned = image_tag(image.strip())
        if pinned:
            continue
        if tag is None:
            message = f"image {image!r} has no tag, so it means {image}:latest"
        elif tag == "latest":
            message = f"image {image!r} uses the latest tag"
        else:
            continue
        yield Problem(
            (*path, "image"),
            f"{message}; container {_named(container, path)} "
            "can run a different image on every node and after every restart",
        )


# --- resources --------------------------------------------------------------------------------


def _wanted(value: object) -> list[str]:
    return [v for v in sequence(value) if isinstance(v, str)]


@check("container-resources-missing")
def container_resources_missing(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    want_requests = _wanted(ctx.params.get("requests", ["cpu", "memory"]))
    want_limits = _wanted(ctx.params.get("limits", ["memory"]))
    include_init = bool(ctx.params.get("initContainers", False))
    for path, container in pod_containers(obj, init=include_init):
        resources = mapping(container.get("resources"))
        requests = mapping(resources.get("requests"))
        limits = mapping(resources.get("limits"))
        missing: list[str] = []
        for resource in want_requests:
            # a limit without a request defaults the request to the limit (SetDefaults_Pod)
            if resource not in requests and resource not in limits:
                missing.append(f"{resource} request")
        missing += [f"{resource} limit" for resource in want_limits if resource not in limits]
        if missing:
            where, anchor = _where(path, container, "resources")
            yield Problem(
                where,
                f"container {_named(container, path)} sets no {', '.join(missing)}",
                anchor=anchor,
            )


# --- probes -----------------------------------------------------------------------------------


# A probe's named port: ValidatePortNumOrName (pkg/apis/core/validation, via validateHTTPGetAction
# and validateTCPSocketAction) rejects a name that is not an IANA_SVC_NAME; a valid name is looked
# up by the kubelet in the container's own ports only (probe.ResolveContainerPort).
@check("probe-port-unknown")
def probe_port_unknown(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    for path, container in pod_containers(obj):
        names: list[str] | None = None  # the container's port names, read for a named port
        for probe in _PROBES:
            probe_value = container.get(probe)
            if not isinstance(probe_value, dict):
                continue
            for handler in ("httpGet", "tcpSocket"):
                # get(container, probe, handler, "port"), without its call
                handler_value = probe_value.get(handler)
                port = handler_value.get("port") if isinstance(handler_value, dict) else None
                if not isinstance(port, str) or not port or port.isdigit():
                    continue  # a number, or digits in quotes (the schema rules' finding)
                errors = is_valid_port_name(port)
                if errors:
                    details = "; ".join(quoted_detail(port, e) for e in errors)
                    yield Problem(
                        (*path, probe, handler, "port"),
                        f"{probe} port {port!r} of container {_named(container, path)} is not "
                        f"a valid port name; {rejection(obj, ctx)}: {details}",
                        rejects=template_rejects(obj, ctx),
                    )
                    continue
                if names is None:
                    names = [
                        p["name"]
                        for p in sequence(container.get("ports"))
                        if isinstance(p, dict) and isinstance(p.get("name"), str)
                    ]
                if port in names:
                    continue
                declared = f"its ports: {few(names)}" if names else "it names no ports"
                # when the name is missing the probe errors out and the kubelet throws its
                # result away: never ready, never started, or a liveness probe that checks nothing
                yield Problem(
                    (*path, probe, handler, "port"),
                    f"{probe} port {port!r} is not a port of container "
                    f"{_named(container, path)} ({declared}), so the probe can never run",
                    rejects=False,  # accepted: the kubelet fails the probe
                )


@check("probes-identical")
def probes_identical(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    for path, container in pod_containers(obj):
        liveness = container.get("livenessProbe")
        readiness = container.get("readinessProbe")
        if isinstance(liveness, dict) and liveness and liveness == readiness:
            yield Problem(
                (*path, "livenessProbe"),
                f"container {_named(container, path)} has identical liveness and readiness "
                "probes; when it is slow it is restarted instead of only taken out of the Service",
                anchor="key",
                related=(Related(obj, (*path, "readinessProbe"), "the readiness probe", "key"),),
            )


# --- security ---------------------------------------------------------------------------------


def _security_value(
    spec_path: Path, spec: dict[str, Any], path: Path, container: dict[str, Any], field: str
) -> tuple[Any, Path | None]:
    """The effective security setting: the container's, else the pod's (and where it is)."""
    context = mapping(container.get("securityContext"))
    if field in context and context[field] is not None:
        return context[field], (*path, "securityContext", field)
    pod_context = mapping(spec.get("securityContext"))
    if field in pod_context and pod_context[field] is not None:
        return pod_context[field], (*spec_path, "securityContext", field)
    return None, None


@check("run-as-root")
def run_as_root(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    if get(spec, "os", "name") == "windows":
        return  # runAsNonRoot and runAsUser do not apply to Windows containers
    for path, container in pod_containers(obj):
        named = _named(container, path)
        user, user_at = _security_value(spec_path, spec, path, container, "runAsUser")
        non_root, non_root_at = _security_value(spec_path, spec, path, container, "runAsNonRoot")
        if int_value(user) == 0 and user_at is not None:
            yield Problem(user_at, f"container {named} runs as root (runAsUser 0)")
        elif non_root is True or (int_value(user) or 0) > 0:
            continue
        elif non_root is False and non_root_at is not None:
            yield Problem(
                non_root_at,
                f"container {named} may run as root: runAsNonRoot is false and no non-zero "
                "runAsUser is set",
            )
        else:
            where, anchor = _where(path, container, "securityContext")
            yield Problem(
                where,
                f"container {named} may run as root: neither it nor the pod sets "
                "runAsNonRoot: true or a non-zero runAsUser",
                anchor=anchor,
            )


# --- env --------------------------------------------------------------------------------------


@check("env-var-duplicate")
def env_var_duplicate(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    for _, container in pod_containers(obj, ephemeral=True):
        env = container.get("env")
        if isinstance(env, list) and len(env) > 1:
            return _env_var_duplicate(obj)
    return ()  # no container with two variables (the usual case): no generator


def _env_var_duplicate(obj: KObject) -> Iterator[Problem]:
    for path, container in pod_containers(obj, ephemeral=True):
        first: dict[str, int] = {}
        for i, item in enumerate(sequence(container.get("env"))):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue
            if name not in first:
                first[name] = i
                continue
            # kubelet's makeEnvironmentVariables keeps the last value of a name
            yield Problem(
                (*path, "env", i, "name"),
                f"env var {name!r} is already defined in container {_named(container, path)} "
                f"(env[{first[name]}]); the last definition wins",
                related=(Related(obj, (*path, "env", first[name], "name"), "first definition"),),
            )


# --- replicas and autoscaling -----------------------------------------------------------------


def _group(api_version: object) -> str:
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def autoscaler_of(obj: KObject, ctx: RuleContext) -> KObject | None:
    """A HorizontalPodAutoscaler (or KEDA ScaledObject, which creates one) scaling ``obj``:
    the nearest (Index.nearest: its scaleTargetRef names ``obj``, so one in another folder is
    meant for it too, as an optional add-on; one of another kustomize build or chart is not)."""
    # by (namespace, scaleTargetRef kind, name); KEDA defaults scaleTargetRef to apps/v1
    # Deployment. A kind and name no scaler names in any namespace need no more.
    kind, name = obj.kind, obj.name
    if (kind, name) not in ctx.index.scaled():
        return None  # nearly every workload
    targeting = ctx.index.scalers_targeting(scope_namespace(obj), kind, name)
    if not targeting:
        return None
    group = _group(obj.data.get("apiVersion"))
    for scaler in ctx.index.nearest(obj, targeting):
        ref = mapping(get(scaler.data, "spec", "scaleTargetRef"))
        if "apiVersion" in ref and _group(ref.get("apiVersion")) != group:
            continue
        return scaler
    return None


def _replicas(obj: KObject) -> tuple[int | None, bool]:
    """(desired replicas, whether spec.replicas is written); the API default is 1. A custom
    pod-template kind reads its layout's replicas (None when it has none, as a PodTemplate, or
    when a configured kind's replicas are absent: its default is unknown)."""
    layout = custom_layout(obj)
    if layout is not None and layout.replicas != ("spec", "replicas"):
        if layout.replicas is None:
            return None, False
        value = get(obj.data, *layout.replicas)
        return (None, False) if value is None else (int_value(value), True)
    spec = mapping(obj.data.get("spec"))
    if "replicas" not in spec:
        return 1, False
    return int_value(spec["replicas"]), True


def _replicas_at(obj: KObject) -> tuple[Path, Anchor]:
    layout = custom_layout(obj)
    if (
        layout is not None
        and layout.replicas is not None
        and layout.replicas != ("spec", "replicas")
    ):
        return layout.replicas, "auto"
    return (
        (("spec", "replicas"), "auto")
        if "replicas" in mapping(obj.data.get("spec"))
        else (("spec",), "key")
    )


@check("replicas-too-few", reads=Reads.INDEX, kinds=SCALER_KINDS)
def replicas_too_few(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    minimum = int_value(ctx.params.get("min", 2)) or 2
    replicas, written = _replicas(obj)
    if replicas is None or replicas == 0 or replicas >= minimum:
        return  # 0 is a deliberate scale-down
    if autoscaler_of(obj, ctx) is not None:
        return
    what = f"replicas {replicas}" if written else "replicas is not set (defaults to 1) and"
    where, anchor = _replicas_at(obj)
    yield Problem(
        where,
        f"{what} is fewer than {minimum}; one node drain or crash makes {obj.kind} "
        f"{obj.name} unavailable",
        anchor=anchor,
    )


@check("replicas-set-with-hpa", reads=Reads.INDEX, kinds=SCALER_KINDS)
def replicas_set_with_hpa(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    # the autoscaler first: nearly every workload has none, told by one look-up
    scaler = autoscaler_of(obj, ctx)
    if scaler is None:
        return
    replicas, written = _replicas(obj)
    if not written:
        return
    shown = replicas if replicas is not None else get(obj.data, "spec", "replicas")
    yield Problem(
        ("spec", "replicas"),
        f"replicas {shown} is set while {scaler.kind} {scaler.name} scales this {obj.kind}; "
        f"every apply resets the scale to {shown}",
        related=(Related(scaler, ("spec", "scaleTargetRef"), f"{scaler.kind} {scaler.name}"),),
    )


def _multi_replica(obj: KObject, ctx: RuleContext) -> int | None:
    """The replica count when the workload runs more than one Pod (an autoscaler's maximum)."""
    replicas, _ = _replicas(obj)
    scaler = autoscaler_of(obj, ctx)
    if scaler is not None:
        maximum = int_value(get(scaler.data, "spec", "maxReplicas")) or int_value(
            get(scaler.data, "spec", "maxReplicaCount")
        )
        replicas = maximum if maximum is not None else replicas
    return replicas if replicas is not None and replicas > 1 else None


def _pdb_selector(pdb: KObject) -> Selector | None:
    return Selector.from_label_selector(get(pdb.data, "spec", "selector"))


@check("pdb-missing", reads=Reads.INDEX, kinds=(*SCALER_KINDS, "PodDisruptionBudget"))
def pdb_missing(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    replicas = _multi_replica(obj, ctx)
    if replicas is None:
        return
    labels = ctx.index.labels_of(obj)
    # any budget of the run will do, wherever it is (budgets are often kept apart)
    if ctx.index.pdbs_selecting(scope_namespace(obj), labels):
        return
    where, anchor = _replicas_at(obj)
    yield Problem(
        where,
        f"{obj.kind} {obj.name} runs up to {replicas} replicas but no PodDisruptionBudget "
        f"selects its pods ({labels_str(labels)})",
        anchor=anchor,
    )


def _fixed_pods(
    pdb: KObject, selector: Selector, ctx: RuleContext
) -> tuple[int, list[KObject]] | None:
    """(Pods, their workloads) that ``selector`` matches in the PDB's namespace, among the
    workloads applied with it (Index.applied_with: an alternative in another folder does not
    count); None when one of them has no fixed count (a DaemonSet, a Job, an autoscaled
    workload, unreadable replicas)."""
    total = 0
    owners: list[KObject] = []
    namespace = scope_namespace(pdb)
    # once per namespace and selector: copies of one budget in many folders select alike
    matching = ctx.index.memo(
        ("pdb-blocks-all-evictions:matching", namespace, selector),
        lambda: [
            w
            for w in ctx.index.templates_with(namespace, selector.required_pairs())
            if selector.matches(ctx.index.labels_of(w))
        ],
    )
    for workload in ctx.index.applied_with(pdb, matching):
        if workload.kind == "Pod":
            total += 1
        elif workload.kind in _REPLICATED and autoscaler_of(workload, ctx) is None:
            replicas, _ = _replicas(workload)
            if replicas is None:
                return None
            total += replicas
        else:
            return None  # DaemonSets, Jobs and autoscaled workloads have no fixed count
        owners.append(workload)
    return total, owners


@check("pdb-blocks-all-evictions", reads=Reads.INDEX, kinds=SCALER_KINDS)
def pdb_blocks_all_evictions(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    spec = mapping(obj.data.get("spec"))
    if "maxUnavailable" in spec:
        value = spec["maxUnavailable"]
        if int_value(value) == 0 or percent_value(value) == 0:
            yield Problem(
                ("spec", "maxUnavailable"),
                f"maxUnavailable {value} allows no voluntary disruption; node drains and "
                "cluster upgrades wait for this PodDisruptionBudget forever",
            )
        return
    if "minAvailable" not in spec:
        return
    minimum = spec["minAvailable"]
    if percent_value(minimum) == 100:
        yield Problem(
            ("spec", "minAvailable"),
            f"minAvailable {minimum} allows no voluntary disruption; node drains and "
            "cluster upgrades wait for this PodDisruptionBudget forever",
        )
        return
    selector = _pdb_selector(obj)
    if selector is None or selector.selects_nothing:
        return
    # the same file, namespace and selector (copies of one PDB) count the same Pods: once
    counted = ctx.index.memo(
        ("pdb-blocks-all-evictions", obj.source.display, scope_namespace(obj), selector),
        lambda: _fixed_pods(obj, selector, ctx),
    )
    if counted is None:
        return
    total, owners = counted
    if total == 0:
        return
    try:
        # the disruption controller rounds minAvailable up (getExpectedScale / GetScaledValue...)
        required = scaled_value(minimum, total, True)
    except ValueError:
        return
    if required < total:
        return
    names = few([f"{w.kind} {w.name}" for w in owners])
    pods = f"{total} pod{'' if total == 1 else 's'} of {names}"
    needs = f"needs all {pods} available" if required == total else f"is more than the {pods}"
    yield Problem(
        ("spec", "minAvailable"),
        f"minAvailable {minimum} {needs}, so none can ever be evicted; node drains wait for "
        "this PodDisruptionBudget forever",
        related=tuple(
            Related(w, _replicas_at(w)[0], f"replicas of {w.kind} {w.name}") for w in owners[:FEW]
        ),
    )


@check("anti-affinity-missing", reads=Reads.INDEX, kinds=SCALER_KINDS)
def anti_affinity_missing(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    replicas = _multi_replica(obj, ctx)
    if replicas is None:
        return
    found = pod_spec(obj)
    if found is None:
        return
    spec = found[1]
    if get(spec, "affinity", "podAntiAffinity") or sequence(spec.get("topologySpreadConstraints")):
        return
    where, anchor = _replicas_at(obj)
    yield Problem(
        where,
        f"{obj.kind} {obj.name} runs up to {replicas} replicas with neither pod anti-affinity "
        "nor topology spread constraints, so they may all land on one node",
        anchor=anchor,
    )
