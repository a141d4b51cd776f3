"""The objects around a workload: HorizontalPodAutoscalers, PodDisruptionBudgets,
NetworkPolicies and Ingresses, checked on their own (what the API server rejects) and against
the workloads and Services among the inputs (what they would find in the cluster).

A finding that something is *not found* is only made where the inputs show that the
application is defined here: the folder of the object holds workloads (or Services, for an
Ingress) of its namespace, and the namespace holds no custom resources (an operator may create
Pods and Services for them) and is not one of the system namespaces that cluster add-ons fill.
A namespace whose workloads are installed some other way (a Helm chart, an operator, another
repository, a kustomize base in another folder) gives no evidence either way, and such findings
would be noise. Names written as templates (``{{ ... }}``) are never looked up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from kpolicy.checks import Reads, RuleContext, check, few
from kpolicy.checks.podspec import is_builtin
from kpolicy.checks.schema_rules import is_patch
from kpolicy.checks.services import templates_selected
from kpolicy.features import gate_enabled
from kpolicy.index import scope_namespace
from kpolicy.k8s.apis import group_of
from kpolicy.k8s.intstr import is_not_more_than_100_percent, validate_int_or_percent
from kpolicy.k8s.selector import Selector
from kpolicy.model import KObject, Path, Problem, Related
from kpolicy.workload import (
    POD_SPEC_KINDS,
    Workload,
    containers,
    custom_layout,
    get,
    int_value,
    mapping,
    pod_spec,
    sequence,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

REJECTS: Final = "the API server rejects this"

_SERVICE: Final = frozenset({"Service"})

# kinds whose Pods a workload controller keeps (the targets of a HorizontalPodAutoscaler among
# the built-in kinds: those with a scale subresource)
_SCALABLE: Final = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})


def _templated(value: object) -> bool:
    """A value that a template engine has not filled in yet (Helm, Jinja, envsubst)."""
    return isinstance(value, str) and ("{{" in value or "${" in value)


def _custom_group(api_version: object) -> bool:
    """A custom resource's group: it has a dot and is not one of the reserved *.k8s.io groups
    (ValidateCustomResourceDefinitionSpec)."""
    if not isinstance(api_version, str):
        return False
    group = group_of(api_version)
    return "." in group and not (group == "k8s.io" or group.endswith(".k8s.io"))


def _within(a: str, b: str, limit: int) -> bool:
    """Whether the optimal string alignment distance of ``a`` and ``b`` (insertions,
    deletions, substitutions and transpositions of neighbours) is at most ``limit``; the table
    is left unfinished where the answer shows early: the distance is at least the difference
    of the lengths, and never below the smallest cost of a row and the row before it (every
    path to the last cell passes through one of the two: a transposition skips a row). A name
    set against each Service or workload of a folder differs from most of them at once."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        if min(current) > limit and min(previous) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


def _similar(name: str, candidates: list[str]) -> str:
    """A suggestion when one of ``candidates`` looks like a typo of ``name``."""
    limit = 1 if len(name) < 8 else 2
    close = [c for c in candidates if c != name and _within(name, c, limit)]
    from kpolicy.suggest import close_matches  # suggestions only: not imported at start-up

    close = close or close_matches(name, candidates, n=1, cutoff=0.85)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _folder(obj: KObject) -> str:
    return os.path.dirname(obj.source.display)


# namespaces that the cluster's own add-ons fill (DNS, metrics, dashboards, cloud controllers)
_SYSTEM_NAMESPACES: Final = frozenset({"kube-system", "kube-public", "kube-node-lease"})


def _neighbours(obj: KObject, kinds: frozenset[str], ctx: RuleContext) -> list[KObject]:
    """Objects of ``kinds`` in ``obj``'s namespace and folder: the evidence that the
    application ``obj`` belongs to is defined among the inputs. None for a system namespace or
    a namespace with custom resources (whose operators create Pods and Services)."""
    namespace, folder = scope_namespace(obj), _folder(obj)
    if namespace in _SYSTEM_NAMESPACES or _has_custom_resources(namespace, ctx):
        return []
    key = ("neighbours", namespace, folder, kinds)
    return list(
        ctx.index.memo(
            key,
            lambda: [o for o in _by_folder(namespace, ctx).get(folder, ()) if o.kind in kinds],
        )
    )


def _by_folder(namespace: str, ctx: RuleContext) -> dict[str, list[KObject]]:
    """The objects of ``namespace`` by folder, in input order; once per run (20 copies of a
    repository have 20 times the folders, each of which would walk 20 times the objects)."""

    def compute() -> dict[str, list[KObject]]:
        found: dict[str, list[KObject]] = {}
        # a file's objects come one after another: its folder worked out once
        display: str | None = None
        folder = ""
        for o in ctx.index.in_namespace(namespace):
            if o.source.display != display:
                display = o.source.display
                folder = os.path.dirname(display)
            found.setdefault(folder, []).append(o)
        return found

    return ctx.index.memo(("objects-by-folder", namespace), compute)


def _has_custom_resources(namespace: str, ctx: RuleContext) -> bool:
    """Whether ``namespace`` holds custom resources: an operator may create Pods or Services
    for them."""
    return bool(_custom_resources(namespace, ctx))


def _custom_resources(namespace: str, ctx: RuleContext) -> list[KObject]:
    def compute() -> list[KObject]:
        # a namespace's objects have a few apiVersions: each judged once
        custom: dict[str, bool] = {}
        found = []
        for o in ctx.index.in_namespace(namespace):
            api_version = o.data.get("apiVersion")
            if api_version.__class__ is not str:
                if _custom_group(api_version):
                    found.append(o)
                continue
            known = custom.get(api_version)
            if known is None:
                known = custom[api_version] = _custom_group(api_version)
            if known:
                found.append(o)
        return found

    return ctx.index.memo(("custom-resources-in", namespace), compute)


def _closest(candidates: list[KObject], obj: KObject, ctx: RuleContext) -> KObject:
    """The candidate nearest to ``obj`` (Index.nearest: its file, then what is applied with it
    (its folder of plain files, kustomize build or chart), then plain files of other folders);
    the first when all are of other builds or charts."""
    nearest = ctx.index.nearest(obj, candidates)
    return nearest[0] if nearest else candidates[0]


# ---------------------------------------------------------------------------------------------
# HorizontalPodAutoscaler


def _target(obj: KObject, ctx: RuleContext) -> tuple[str, str, KObject | None] | None:
    """(kind, name, the object among the inputs or None) of an autoscaler's scaleTargetRef;
    None when the reference is incomplete or templated."""
    ref = mapping(get(obj.data, "spec", "scaleTargetRef"))
    kind, name = ref.get("kind"), ref.get("name")
    if not isinstance(kind, str) or not isinstance(name, str) or not kind or not name:
        return None
    if _templated(kind) or _templated(name):
        return None
    api_version = ref.get("apiVersion")
    named = ctx.index.all_named(kind, scope_namespace(obj), name)
    if isinstance(api_version, str):
        group = group_of(api_version)
        candidates = [
            candidate
            for candidate in named
            if group == group_of(str(candidate.data.get("apiVersion", "")))
        ]
    else:
        candidates = named
    return kind, name, _closest(candidates, obj, ctx) if candidates else None


# The HPA controller reads the target's scale subresource (FailedGetScale until it exists);
# the reference itself is only checked for shape (ValidateCrossVersionObjectReference).
@check("hpa-target-not-found", reads=Reads.INDEX)
def hpa_target_not_found(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not is_builtin(obj):
        return
    found = _target(obj, ctx)
    if found is None or found[2] is not None:
        return
    kind, name, _ = found
    namespace = scope_namespace(obj)
    api_version = get(obj.data, "spec", "scaleTargetRef", "apiVersion")
    other_group = ctx.index.all_named(kind, namespace, name)
    if other_group and isinstance(api_version, str):
        actual = other_group[0].data.get("apiVersion")
        yield Problem(
            ("spec", "scaleTargetRef", "apiVersion"),
            f"scaleTargetRef names {kind} {name!r} in group {group_of(api_version)!r} "
            f"(apiVersion {api_version}), but the {kind} {name!r} here is {actual}: the "
            "autoscaler looks for it in the wrong API group and scales nothing",
            related=(Related(other_group[0], ("apiVersion",), f"{kind} {name!r}"),),
        )
        return
    if kind in _SCALABLE:
        present = _neighbours(obj, _SCALABLE, ctx)
    else:
        # a custom kind (an Argo Rollout): judged only where objects of that kind are defined
        present = [o for o in ctx.index.of_kind(kind, namespace) if _folder(o) == _folder(obj)]
    if not present:
        return
    same_kind = sorted({o.name for o in present if o.kind == kind})
    others = sorted({f"{o.kind} {o.name}" for o in present})
    shown = few(others, 3)
    yield Problem(
        ("spec", "scaleTargetRef", "name"),
        f"scaleTargetRef {kind} {name!r} is not among the linted files (and --context) of "
        f"namespace {namespace!r}{_similar(name, same_kind)}, while this folder defines "
        f"{shown}: the autoscaler scales nothing until that object exists",
    )


# follows validateHorizontalPodAutoscalerSpec (pkg/apis/autoscaling/validation); minReplicas is
# defaulted to 1 (SetDefaults_HorizontalPodAutoscaler), and may be 0 only with the
# HPAScaleToZero feature gate and an Object or External metric (validateMetrics)
@check("hpa-replicas-invalid")
def hpa_replicas_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not is_builtin(obj):
        return
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return
    minimum = int_value(spec.get("minReplicas"))
    maximum = int_value(spec.get("maxReplicas"))
    scale_to_zero = gate_enabled("HPAScaleToZero", ctx.kubernetes_version, ctx.feature_gates)
    lowest = 0 if scale_to_zero else 1
    if minimum is not None and minimum < lowest:
        yield Problem(
            ("spec", "minReplicas"),
            f"minReplicas {minimum} is below {lowest}; {REJECTS}"
            + (" (0 needs the HPAScaleToZero feature gate)" if minimum == 0 else ""),
        )
    elif minimum == 0:
        types = {mapping(m).get("type") for m in sequence(spec.get("metrics"))}
        if not types & {"Object", "External"}:
            yield Problem(
                ("spec", "minReplicas"),
                f"minReplicas 0 needs an Object or External metric to scale up from zero; "
                f"{REJECTS}",
            )
    if maximum is not None and maximum < 1:
        yield Problem(("spec", "maxReplicas"), f"maxReplicas {maximum} is below 1; {REJECTS}")
    elif maximum is not None and maximum < (minimum if minimum is not None else 1):
        shown = minimum if minimum is not None else "1 (the default)"
        yield Problem(
            ("spec", "maxReplicas"),
            f"maxReplicas {maximum} is less than minReplicas {shown}; {REJECTS}",
            related=(Related(obj, ("spec", "minReplicas"), "minReplicas"),)
            if minimum is not None
            else (),
        )


_DEFAULT_CPU_UTILIZATION: Final = 80  # autoscaling.DefaultCPUUtilization


def _utilization_metrics(obj: KObject) -> list[tuple[Path, str, str | None, str]]:
    """(where, resource, container or None, how it is written) of each utilization target.

    SetDefaults_HorizontalPodAutoscaler (autoscaling/v2, v2beta2, v2beta1) gives an autoscaler
    without metrics an 80% CPU utilization target, and autoscaling/v1 scales on CPU utilization
    (targetCPUUtilizationPercentage, 80% when left out).
    """
    api_version = obj.data.get("apiVersion")
    spec = mapping(obj.data.get("spec"))
    if api_version == "autoscaling/v1":
        percent = int_value(spec.get("targetCPUUtilizationPercentage"))
        if percent is None:
            return [
                (
                    ("spec",),
                    "cpu",
                    None,
                    f"CPU utilization ({_DEFAULT_CPU_UTILIZATION}% by default)",
                )
            ]
        return [
            (
                ("spec", "targetCPUUtilizationPercentage"),
                "cpu",
                None,
                f"CPU utilization ({percent}%)",
            )
        ]
    metrics = spec.get("metrics")
    if not sequence(metrics):
        where: Path = ("spec", "metrics") if "metrics" in spec else ("spec",)
        return [
            (
                where,
                "cpu",
                None,
                f"CPU utilization ({_DEFAULT_CPU_UTILIZATION}% by default, as it lists no metrics)",
            )
        ]
    found: list[tuple[Path, str, str | None, str]] = []
    for i, metric in enumerate(sequence(metrics)):
        metric = mapping(metric)
        kind = metric.get("type")
        source_key = {"Resource": "resource", "ContainerResource": "containerResource"}.get(
            kind if isinstance(kind, str) else ""
        )
        if source_key is None:
            continue
        source = mapping(metric.get(source_key))
        resource = source.get("name")
        target = mapping(source.get("target"))
        utilization = (
            target.get("averageUtilization")
            if target.get("type") == "Utilization"
            else source.get("targetAverageUtilization")
        )  # autoscaling/v2beta1
        if not isinstance(resource, str) or int_value(utilization) is None:
            continue
        container = source.get("container") if kind == "ContainerResource" else None
        found.append(
            (
                ("spec", "metrics", i),
                resource,
                container if isinstance(container, str) else None,
                f"{resource} utilization ({utilization}%)",
            )
        )
    return found


def _limit_range_defaults(namespace: str, ctx: RuleContext) -> set[str]:
    """Resources whose container requests a LimitRange of ``namespace`` defaults (its
    ``defaultRequest``, or ``default``, which also becomes the request)."""
    defaulted: set[str] = set()
    for limit_range in ctx.index.of_kind("LimitRange", namespace):
        for item in sequence(get(limit_range.data, "spec", "limits")):
            item = mapping(item)
            if item.get("type") not in (None, "Container"):
                continue
            for key in ("defaultRequest", "default"):
                defaulted |= {k for k in mapping(item.get(key)) if isinstance(k, str)}
    return defaulted


def _requests(container: Mapping[str, Any]) -> set[str]:
    resources = mapping(container.get("resources"))
    # a limit without a request becomes the request (SetDefaults_Pod)
    return set(mapping(resources.get("requests"))) | set(mapping(resources.get("limits")))


# The HPA's replica calculator divides usage by the Pods' requests (calculatePodRequests in
# pkg/controller/podautoscaler/replica_calculator.go): every container (and sidecar, a
# restartable init container) must request the resource, or the pod-level resources must
# (PodLevelResources); otherwise it fails with "missing request for cpu" and does not scale.
@check("hpa-requests-missing", reads=Reads.INDEX, kinds=("LimitRange",))
def hpa_requests_missing(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not is_builtin(obj):
        return
    metrics = [m for m in _utilization_metrics(obj) if m[1] in ("cpu", "memory")]
    if not metrics:
        return
    found = _target(obj, ctx)
    if found is None or found[2] is None:
        return
    target = found[2]
    spec_found = pod_spec(target)
    if spec_found is None:
        return
    spec_path, spec = spec_found
    pod_level = set(mapping(get(spec, "resources", "requests")))
    if not gate_enabled("PodLevelResources", ctx.kubernetes_version, ctx.feature_gates):
        pod_level = set()
    defaulted = _limit_range_defaults(scope_namespace(target), ctx)
    for where, resource, container_name, written in metrics:
        if resource in pod_level or resource in defaulted:
            continue
        for path, container in containers(spec_path, spec, init=True):
            if path[-2] == "initContainers" and container.get("restartPolicy") != "Always":
                continue
            name = container.get("name")
            if container_name is not None and name != container_name:
                continue
            if resource in _requests(container):
                continue
            label = repr(name) if isinstance(name, str) else f"#{path[-1]}"
            yield Problem(
                where,
                f"the autoscaler scales on {written} of {target.kind} {target.name!r}, but "
                f"container {label} requests no {resource}: the utilization cannot be computed "
                f"(missing request for {resource}), so it never scales",
                anchor="key",
                related=(
                    Related(target, path, f"container {label} of {target.kind} {target.name!r}"),
                ),
            )
            break


# ---------------------------------------------------------------------------------------------
# PodDisruptionBudget

_UNHEALTHY_POLICIES: Final = ("IfHealthyBudget", "AlwaysAllow")


# follows ValidatePodDisruptionBudgetSpec (pkg/apis/policy/validation): ValidatePositiveIntOrPercent
# and IsNotMoreThan100Percent for each budget, not both, and the unhealthyPodEvictionPolicy values
@check("pdb-spec-invalid")
def pdb_spec_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not is_builtin(obj):
        return
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        yield Problem(
            ("spec", "maxUnavailable"),
            f"minAvailable {spec['minAvailable']} and maxUnavailable {spec['maxUnavailable']} "
            f"are both set; {REJECTS}: a PodDisruptionBudget sets one of them",
            anchor="key",
            related=(Related(obj, ("spec", "minAvailable"), "minAvailable", anchor="key"),),
        )
    for field in ("minAvailable", "maxUnavailable"):
        value = spec.get(field)
        if value is None or isinstance(value, bool | float):
            continue  # a wrong type is the schema rules' finding
        for message in validate_int_or_percent(value) + is_not_more_than_100_percent(value):
            if "must be an integer or a percentage" in message:
                continue
            yield Problem(("spec", field), f"{field} is not valid; {REJECTS}: {message}")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if isinstance(policy, str) and policy not in _UNHEALTHY_POLICIES:
        yield Problem(
            ("spec", "unhealthyPodEvictionPolicy"),
            f"unhealthyPodEvictionPolicy {policy!r} is not supported; {REJECTS}: use "
            "'IfHealthyBudget' or 'AlwaysAllow'",
        )


def _selects_nothing_problem(
    obj: KObject, selector_path: Path, ctx: RuleContext, what: str, consequence: str
) -> Iterator[Problem]:
    """The finding of a selector that selects no pod template of the workloads defined next to
    ``obj`` (see :func:`_neighbours`)."""
    raw = get(obj.data, *selector_path)
    selector = Selector.from_label_selector(raw) if isinstance(raw, dict) else None
    if selector is None or selector.is_empty or selector.selects_nothing:
        return
    if any(
        _templated(r.key) or any(_templated(v) for v in r.values) for r in selector.requirements
    ):
        return
    neighbours = _neighbours(obj, POD_SPEC_KINDS, ctx)
    if not neighbours:
        return
    namespace = scope_namespace(obj)
    if templates_selected(namespace, selector, ctx) or _selects_by_workload_selector(
        namespace, selector, ctx
    ):
        return
    count = len(neighbours)
    yield Problem(
        selector_path,
        f"{what} {selector} matches no pod template in namespace {namespace!r} among the linted "
        f"files (and --context), while this folder defines {count} workload"
        f"{'' if count == 1 else 's'} there: {consequence}",
        anchor="key",
    )


def _selects_by_workload_selector(namespace: str, selector: Selector, ctx: RuleContext) -> bool:
    """Whether ``selector`` matches the matchLabels of a workload's own selector: the workload's
    Pods carry those labels (the API server requires the template to match), even when its
    template is written elsewhere (a kustomize base) or left out."""

    def compute() -> bool:
        for workload in ctx.index.templates_with(namespace, {}):
            view = Workload.of(workload)
            if view is None:
                continue  # a Pod: no selector of its own
            labels = view.selector if view.kind.selector_map else get(view.selector, "matchLabels")
            if (
                isinstance(labels, dict)
                and labels
                and selector.matches({str(k): str(v) for k, v in labels.items()})
            ):
                return True
        return False

    return bool(ctx.index.memo(("selects-by-workload-selector", namespace, selector), compute))


# The disruption controller (pkg/controller/disruption) counts the Pods the selector matches;
# with none, the budget protects nothing.
@check("pdb-selects-nothing", reads=Reads.INDEX)
def pdb_selects_nothing(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not is_builtin(obj):
        return
    yield from _selects_nothing_problem(
        obj,
        ("spec", "selector"),
        ctx,
        "selector",
        "the budget protects no Pod during node drains",
    )


# ---------------------------------------------------------------------------------------------
# NetworkPolicy


# A NetworkPolicy applies to the Pods of its namespace that spec.podSelector matches (an empty
# podSelector: all of them).
@check("networkpolicy-selects-nothing", reads=Reads.INDEX)
def networkpolicy_selects_nothing(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not is_builtin(obj):
        return
    yield from _selects_nothing_problem(
        obj,
        ("spec", "podSelector"),
        ctx,
        "podSelector",
        "the policy isolates no Pod and allows nothing",
    )


_POLICY_TARGETS: Final = POD_SPEC_KINDS


# opt-in: a workload that no NetworkPolicy selects accepts traffic from everywhere
@check("networkpolicy-missing", reads=Reads.INDEX, kinds=("NetworkPolicy",))
def networkpolicy_missing(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    layout = custom_layout(obj)
    if layout is not None:
        if not layout.runs_pods:
            return
    elif obj.kind not in _POLICY_TARGETS or not is_builtin(obj):
        return
    if obj.kind == "Pod" and get(obj.data, "metadata", "ownerReferences"):
        return
    labels = ctx.index.labels_of(obj)
    if ctx.index.network_policies_selecting(scope_namespace(obj), labels):
        return
    if is_patch(obj, ctx):
        return  # a kustomize patch: its base is judged
    yield Problem(
        ("kind",),
        f"no NetworkPolicy of namespace {obj.namespace!r} among the linted files (and --context) "
        f"selects the Pods of {obj.kind} {obj.name!r} (labels "
        f"{few([f'{k}={v}' for k, v in sorted(labels.items())]) or 'none'}): they accept "
        "connections from every Pod of the cluster",
    )


# ---------------------------------------------------------------------------------------------
# Ingress


def _ingress_backends(obj: KObject) -> Iterator[tuple[Path, str, object, Path]]:
    """(path of the service reference, Service name, its port, path of the port) of each
    backend: networking.k8s.io/v1 (service.name, service.port.number or .name) and the removed
    v1beta1 form (serviceName, servicePort)."""
    spec = mapping(obj.data.get("spec"))
    backends: list[tuple[Path, Any]] = []
    for key in ("defaultBackend", "backend"):
        if key in spec:
            backends.append((("spec", key), spec[key]))
    for i, rule in enumerate(sequence(spec.get("rules"))):
        for j, path in enumerate(sequence(get(rule, "http", "paths"))):
            backends.append(
                (("spec", "rules", i, "http", "paths", j, "backend"), mapping(path).get("backend"))
            )
    for where, backend in backends:
        backend = mapping(backend)
        service = backend.get("service")
        if isinstance(service, dict):
            port = mapping(service.get("port"))
            value = port.get("number") if "number" in port else port.get("name")
            port_key = "number" if "number" in port else "name"
            if isinstance(service.get("name"), str):
                yield (
                    (*where, "service", "name"),
                    service["name"],
                    value,
                    (*where, "service", "port", port_key),
                )
        elif isinstance(backend.get("serviceName"), str):
            yield (
                (*where, "serviceName"),
                backend["serviceName"],
                backend.get("servicePort"),
                (*where, "servicePort"),
            )


def _service_ports(service: KObject) -> tuple[set[int], set[str]]:
    numbers: set[int] = set()
    names: set[str] = set()
    for port in sequence(get(service.data, "spec", "ports")):
        port = mapping(port)
        number = int_value(port.get("port"))
        if number is not None:
            numbers.add(number)
        if isinstance(port.get("name"), str):
            names.add(port["name"])
    return numbers, names


# An ingress controller routes each backend to the Endpoints of the named Service and port in
# the Ingress's namespace (for ingress-nginx: 503 when it is missing).
@check("ingress-backend-not-found", reads=Reads.INDEX, kinds=("Service",))
def ingress_backend_not_found(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not is_builtin(obj):
        return
    namespace = scope_namespace(obj)
    neighbours: list[KObject] | None = None
    for where, name, port, port_path in _ingress_backends(obj):
        if _templated(name) or _templated(port):
            continue
        candidates = ctx.index.all_named("Service", namespace, name)
        if not candidates:
            if neighbours is None:
                neighbours = _neighbours(obj, _SERVICE, ctx)
            if not neighbours:
                continue  # the namespace's Services are not defined in this folder
            names = sorted({s.name for s in neighbours})
            yield Problem(
                where,
                f"backend Service {name!r} is not among the linted files (and --context) of "
                f"namespace {namespace!r}{_similar(name, names)}, while this folder defines "
                f"{len(names)} other Service{'' if len(names) == 1 else 's'} there: requests "
                "for this backend fail (503)",
            )
            continue
        service = _closest(candidates, obj, ctx)
        if get(service.data, "spec", "type") == "ExternalName":
            continue
        numbers, names_ = _service_ports(service)
        number = int_value(port)
        if number is not None and number not in numbers:
            have = few([str(n) for n in sorted(numbers)]) or "none"
        elif isinstance(port, str) and port not in names_:
            have = few([repr(n) for n in sorted(names_)]) or "no named ports"
        else:
            continue
        yield Problem(
            port_path,
            f"Service {name!r} has no port {port!r} (its ports: {have}): requests for this "
            "backend fail (503)",
            related=(Related(service, ("spec", "ports"), f"the ports of Service {name!r}"),),
        )


# ---------------------------------------------------------------------------------------------
# ephemeral-storage-missing (opt-in)


@check("ephemeral-storage-missing")
def ephemeral_storage_missing(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None or not is_builtin(obj):
        return
    include_init = bool(ctx.params.get("initContainers", False))
    patch: list[bool] = []
    for path, container in containers(found[0], found[1], init=include_init):
        resources = mapping(container.get("resources"))
        requests = mapping(resources.get("requests"))
        limits = mapping(resources.get("limits"))
        missing = []
        if "ephemeral-storage" not in requests and "ephemeral-storage" not in limits:
            missing.append("request")
        if "ephemeral-storage" not in limits:
            missing.append("limit")
        if not missing:
            continue
        if not patch:
            patch.append(is_patch(obj, ctx))
        if patch[0]:
            return  # a kustomize patch: its base is judged
        name = container.get("name")
        label = repr(name) if isinstance(name, str) else f"#{path[-1]}"
        at: Path = (*path, "resources") if "resources" in container else path
        yield Problem(
            at,
            f"container {label} sets no ephemeral-storage {' or '.join(missing)}",
            anchor="key" if "resources" in container else "auto",
        )
