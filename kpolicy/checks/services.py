"""Selectors across objects: workloads that fight over Pods, Services that reach no Pod.

Every look-up goes through the run's index (``templates_with`` narrows the candidates to the pod
templates carrying a selector's required labels), so a rule costs the size of the matching
posting list, not the namespace. The index holds the linted files and ``--context``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from kpolicy.checks import Reads, RuleContext, check, few
from kpolicy.k8s.selector import Operator, Requirement, Selector, labels_str
from kpolicy.k8s.validation import is_valid_port_name
from kpolicy.lazyre import lazy_compile
from kpolicy.model import KObject, Path, Problem, Related
from kpolicy.workload import (
    SELECTOR_CONTROLLER_KINDS,
    WORKLOAD_KINDS,
    Workload,
    containers,
    get,
    pod_spec,
    sequence,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

# ---------------------------------------------------------------------------------------------
# selector-overlap


def _workload_selector(obj: KObject) -> Selector | None:
    """A workload's usable spec.selector; None when missing, invalid or empty (other rules)."""
    data = obj.data
    kind = data.get("kind") if data.__class__ is dict else None
    layout = WORKLOAD_KINDS.get(kind) if kind.__class__ is str else None
    if layout is not None:
        # Workload.of(obj).selector of a built-in workload kind (nearly every one the parent
        # asks about), read here without the view
        raw: Any = None
        if layout.selector and not layout.selector_map:
            raw = data
            for step in layout.selector:
                raw = raw.get(step) if isinstance(raw, dict) else None
    else:
        view = Workload.of(obj)
        raw = view.selector if view is not None and not view.kind.selector_map else None
    if not isinstance(raw, dict):
        return None
    if raw.__class__ is dict:
        pairs = raw.get("matchLabels")
        if pairs.__class__ is dict and pairs and raw.get("matchExpressions") is None:
            # matchLabels alone (nearly every workload): from_label_selector's own step, whose
            # selector is None or has requirements, so neither empty nor selecting nothing
            return Selector.of_match_labels(pairs)
    selector = Selector.from_label_selector(raw)
    if selector is None or selector.is_empty or selector.selects_nothing:
        return None
    return selector


def _selector_of(obj: KObject, ctx: RuleContext) -> Selector | None:
    """:func:`_workload_selector` once per object and run: a workload is a candidate of every
    workload whose selector selects its Pods."""
    known: dict[int, Selector | None] = ctx.index.memo("workload-selectors", dict)
    key = id(obj)
    found = known.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        found = known[key] = _workload_selector(obj)
    return found  # type: ignore[no-any-return]


_UNKNOWN: Any = object()  # not worked out yet


# What overlapping selectors do today (ClaimObject, pkg/controller/controller_ref_manager.go):
# a controller ignores a Pod (or ReplicaSet, or ControllerRevision) that another controller owns,
# releases what it owns but no longer selects, and adopts an orphan its selector matches. So two
# workloads that select each other's Pods keep their own Pods; an orphan (left by
# `kubectl delete --cascade=orphan`, or a Pod relabelled by hand) may be adopted by either, and
# whatever selects by these labels (a Service, a PodDisruptionBudget, the autoscaler of either
# workload through its scale selector) counts both sets. Only workloads applied
# together (RepoModel.applied_together) in one namespace are a pair; a group of n such workloads
# is n-1 findings: each workload but the first names the first one before it in input order.
@check("selector-overlap", reads=Reads.INDEX)
def selector_overlap(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    selector = _selector_of(obj, ctx)
    if selector is None or not isinstance(get(obj.data, "spec", "template"), dict):
        return
    labels = ctx.index.labels_of(obj)
    found = _first_earlier_overlap(obj, selector, labels, ctx)
    if found is None:
        return
    yield Problem(
        ("spec", "selector"),
        overlap_message(str(selector), found.kind, found.name),
        anchor="key",
        related=(
            Related(
                found,
                ("spec", "selector"),
                f"the selector of {found.kind} {found.name!r}",
                anchor="key",
            ),
        ),
    )


OVERLAP_MESSAGE_MAX = 199  # characters; a message is read on one line


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: max(limit - 3, 1)]}..."


def overlap_message(selector: str, kind: str, name: str) -> str:
    """The selector-overlap message, at most :data:`OVERLAP_MESSAGE_MAX` characters: a long
    selector is clipped first (the finding's location shows it whole), then the other
    workload's name (which only the message and the related location tell)."""
    head = "selector "
    middle = " matches the template labels of {kind} {name} and vice versa: "
    tail = "either may adopt orphaned Pods; Services, PDBs, HPAs count both"
    fixed = len(head) + len(middle.format(kind=kind, name="''")) + len(tail)
    room = OVERLAP_MESSAGE_MAX - fixed  # for the selector and the name
    selector = _clip(selector, max(room - len(name), 24))
    name = _clip(name, room - len(selector))
    return f"{head}{selector}{middle.format(kind=kind, name=repr(name))}{tail}"


def _input_order(obj: KObject) -> tuple[str, int, str]:
    # the order of the run's index (lint.check_files sorts every object by it)
    return (obj.source.display, obj.doc_index, obj.base)


def _first_earlier_overlap(
    obj: KObject, selector: Selector, labels: dict[str, str], ctx: RuleContext
) -> KObject | None:
    """The first workload before ``obj`` in input order, applied together with it, whose
    Pods ``selector`` matches and whose selector matches ``labels``; the candidates come in
    input order, so the search stops at ``obj`` itself. The same kind and name written twice
    (a base and an overlay, a live and a desired copy) is one object in the cluster: never a
    finding."""
    here = _input_order(obj)
    kind, name = obj.kind, obj.name
    applied_together = None  # worked out for the first candidate before obj
    for order, other, other_kind, other_name, other_selector in _controllers_selected(
        obj.namespace, selector, ctx
    ):
        if order >= here:
            break
        if other_kind == kind and other_name == name:
            continue
        if applied_together is None:
            applied_together = ctx.index.together_with(obj)
        # the copies of an application in other folders fail here first, the cheapest test
        if not applied_together(other):
            continue  # alternatives, or applications of their own
        if not other_selector.matches(labels):
            continue
        return other
    return None


def _controllers_selected(
    namespace: str, selector: Selector, ctx: RuleContext
) -> list[tuple[tuple[str, int, str], KObject, str, str, Selector]]:
    """The workloads of ``namespace`` that may be a pair of a workload with ``selector``, in
    input order, with their selectors: a selector controller whose Pods ``selector`` matches
    and whose own selector is usable. What depends on ``selector`` alone is found once per
    run: copies of one workload (the same chart in many folders) share their selector, and
    each would otherwise walk every other's candidates again."""

    def compute() -> list[tuple[tuple[str, int, str], KObject, str, str, Selector]]:
        found = []
        for other in ctx.index.templates_with(namespace, selector.required_pairs()):
            if other.kind not in SELECTOR_CONTROLLER_KINDS:
                continue
            if not selector.matches(ctx.index.labels_of(other)):
                continue
            other_selector = _selector_of(other, ctx)
            if other_selector is not None:
                found.append((_input_order(other), other, other.kind, other.name, other_selector))
        return found

    return _per_selector("selector-overlap-candidates", namespace, selector, ctx, compute)


def _per_selector(
    tag: str, namespace: str, selector: Selector, ctx: RuleContext, compute: Callable[[], T]
) -> T:
    """``ctx.index.memo((tag, namespace, selector), compute)`` (keyed by
    :func:`selector_key`, which is equal for equal selectors), found first by the selector's
    identity: hashing a Selector hashes each of its requirements in Python, and one Selector
    is asked about again and again (a workload's and a Service's are kept for the run, equal
    matchLabels are parsed into one). The entry holds the selector, so its id names no other
    object while the run lasts."""
    by_id: dict[tuple[str, int], tuple[Selector, T]] = ctx.index.memo((tag, "by id"), dict)
    key = (namespace, id(selector))
    found = by_id.get(key)
    if found is not None and found[0] is selector:
        return found[1]
    value = ctx.index.memo((tag, namespace, *selector_key(selector)), compute)
    by_id[key] = (selector, value)
    return value


def selector_key(selector: Selector) -> tuple[bool, tuple[tuple[str, str, tuple[str, ...]], ...]]:
    """What tells ``selector`` from other selectors, as strings and tuples: equal for equal
    selectors only (an operator by its value, one of each), and hashed in C. A Selector's
    own hash is Python's all the way down (the record's, each requirement's, each operator's
    ``Enum.__hash__``): ~10,000 instructions, twice for each new key of a memo."""
    return selector.selects_nothing, tuple(
        [(r.key, r.operator._value_, r.values) for r in selector.requirements]
    )


# ---------------------------------------------------------------------------------------------
# Services and the Pods they select

# Labels that controllers add to the Pods they create, which pod templates do not carry.
_STATEFULSET_POD_NAME = "statefulset.kubernetes.io/pod-name"
_CONTROLLER_LABELS = frozenset(
    {
        "pod-template-hash",  # Deployment (its ReplicaSets)
        "controller-revision-hash",  # StatefulSet, DaemonSet
        _STATEFULSET_POD_NAME,
        "apps.kubernetes.io/pod-index",  # StatefulSet
        "pod-template-generation",  # DaemonSet
        "job-name",  # Job
        "batch.kubernetes.io/job-name",
        "controller-uid",
        "batch.kubernetes.io/controller-uid",
        "batch.kubernetes.io/job-completion-index",
    }
)
_ORDINAL_SUFFIX = lazy_compile(r"-[0-9]+")
_EQUALITY = (Operator.EQUALS, Operator.IN)  # (a module global: see kpolicy.k8s.selector's)


def _controller_label_fits(key: str, value: str, obj: KObject) -> bool:
    """Whether the controller of ``obj`` can give its Pods the label ``key=value``."""
    kind, name = obj.kind, obj.name
    if key == "pod-template-hash":
        return kind in ("Deployment", "ReplicaSet")
    if key == "controller-revision-hash":
        return kind == "DaemonSet" or (kind == "StatefulSet" and value.startswith(f"{name}-"))
    if key == _STATEFULSET_POD_NAME:
        # getPodName: "<name>-<ordinal>"
        suffix = value[len(name) :] if value.startswith(name) else ""
        return kind == "StatefulSet" and _ORDINAL_SUFFIX.fullmatch(suffix) is not None
    if key == "apps.kubernetes.io/pod-index":
        return kind == "StatefulSet" and value.isdigit()
    if key == "pod-template-generation":
        return kind == "DaemonSet"
    if key in ("job-name", "batch.kubernetes.io/job-name"):
        # a CronJob's Jobs are named "<cronjob>-<scheduled time>"
        return (kind == "Job" and value == name) or (
            kind == "CronJob" and value.startswith(f"{name}-")
        )
    return kind in ("Job", "CronJob")  # controller-uid, job-completion-index


def _service_selector_of(
    service: KObject, ctx: RuleContext
) -> tuple[dict[str, str], Selector] | None:
    """:func:`_service_selector` once per Service and run (two rules read it)."""
    known: dict[int, tuple[dict[str, str], Selector] | None] = ctx.index.memo(
        "service-selectors", dict
    )
    key = id(service)
    found = known.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        found = known[key] = _service_selector(service)
    return found  # type: ignore[no-any-return]


def _service_selector(service: KObject) -> tuple[dict[str, str], Selector] | None:
    """The Service's selector as a label map and as a selector, when the endpoints controllers
    use it.

    None for ExternalName Services, a missing or empty selector (endpoints managed by hand) and
    a selector the API server rejects (other rules).
    """
    spec = service.data.get("spec")
    if not isinstance(spec, dict) or spec.get("type") == "ExternalName":
        return None
    raw = spec.get("selector")
    selector = Selector.from_map(raw)
    if selector is None or selector.selects_nothing or not isinstance(raw, dict):
        return None
    return {str(k): str(v) for k, v in raw.items()}, selector


def templates_selected(namespace: str, selector: Selector, ctx: RuleContext) -> list[KObject]:
    """Pod-template objects of ``namespace`` whose Pods ``selector`` matches, with the labels
    their controllers add (see :func:`_requirement_fits`); once per run for each namespace and
    selector."""
    return list(
        _per_selector(
            "templates-selected",
            namespace,
            selector,
            ctx,
            lambda: _selecting(namespace, selector, ctx),
        )
    )


def _selecting(namespace: str, selector: Selector, ctx: RuleContext) -> list[KObject]:
    plain = {k: v for k, v in selector.required_pairs().items() if k not in _CONTROLLER_LABELS}
    selected: list[KObject] = []
    for candidate in ctx.index.templates_with(namespace, plain):
        labels = ctx.index.labels_of(candidate)
        if all(_requirement_fits(r, labels, candidate) for r in selector.requirements):
            selected.append(candidate)
    return selected


def _requirement_fits(requirement: Requirement, labels: Mapping[str, str], obj: KObject) -> bool:
    """Whether the Pods of ``obj`` (template ``labels``) can meet ``requirement``.

    A label that the controller of ``obj`` adds to its Pods and the template leaves out is
    judged by what that controller sets; a requirement on such a label that is not an equality
    is taken as met.
    """
    if requirement.key not in _CONTROLLER_LABELS or requirement.key in labels:
        return requirement.matches(labels)
    if requirement.operator in _EQUALITY:
        return any(_controller_label_fits(requirement.key, v, obj) for v in requirement.values)
    return True


def _names(objects: list[KObject], limit: int = 3) -> str:
    distinct = list(dict.fromkeys(f"{o.kind} {o.name!r}" for o in objects))
    shown = distinct[:limit]
    if len(distinct) > limit:
        shown.append(f"{len(distinct) - limit} more")
    return ", ".join(shown)


# The EndpointSlice controller (pkg/controller/endpointslice) lists the Pods of the Service's
# namespace that its selector matches; with none, the Service has no endpoints.
@check("service-selector-no-match", reads=Reads.INDEX)
def service_selector_no_match(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = _service_selector_of(obj, ctx)
    if found is None:
        return
    pairs, selector = found
    # any pod template of the run will do, wherever it is: Services and Deployments are often
    # kept in folders, builds or files of their own and applied together all the same
    if templates_selected(obj.namespace, selector, ctx):
        return
    yield Problem(
        ("spec", "selector"),
        f"no pod template in the linted files (and --context) matches selector "
        f"{labels_str(pairs)} in namespace {obj.namespace!r}: unless Pods get these labels "
        "another way (an operator, a controller outside these files), the Service has no "
        "endpoints",
        anchor="key",
    )


def _port_names(spec_path: Path, spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(name, protocol) of the named container ports FindPort looks at: regular containers and
    sidecars (init containers with restartPolicy Always)."""
    for path, container in containers(spec_path, spec, init=True):
        if path[-2] == "initContainers" and container.get("restartPolicy") != "Always":
            continue
        for port in sequence(container.get("ports")):
            if isinstance(port, dict) and isinstance(port.get("name"), str):
                protocol = port.get("protocol")
                yield port["name"], protocol if isinstance(protocol, str) and protocol else "TCP"


def _declared_ports(
    selected: list[KObject],
) -> tuple[set[tuple[str, str]], tuple[KObject, Path] | None]:
    """The (name, protocol) ports of the selected Pods, and the first of them with a pod spec."""
    declared: set[tuple[str, str]] = set()
    first_spec: tuple[KObject, Path] | None = None
    for candidate in selected:
        found = pod_spec(candidate)
        if found is None:
            continue
        spec_path, spec = found
        if first_spec is None:
            first_spec = (candidate, spec_path)
        declared.update(_port_names(spec_path, spec))
    return declared, first_spec


# FindPort (pkg/api/v1/pod/util.go, and its copy in the EndpointSlice controller) resolves a
# named targetPort in each selected Pod: a container port (or a sidecar's) with that name and the
# Service port's protocol. Pods without one get no endpoint for that Service port.
@check("service-target-port-unknown", reads=Reads.INDEX)
def service_target_port_unknown(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    ports = get(obj.data, "spec", "ports")
    named = [
        (i, port)
        for i, port in enumerate(sequence(ports))
        if isinstance(port, dict)
        and isinstance(port.get("targetPort"), str)
        and not is_valid_port_name(port["targetPort"])
    ]
    if not named:
        return
    found = _service_selector_of(obj, ctx)
    if found is None:
        return
    _, selector = found
    # the Pods applied with the Service (Index.applied_with): an alternative elsewhere that
    # names the port does not hide that these do not
    selected = ctx.index.applied_with(obj, templates_selected(obj.namespace, selector, ctx))
    # Services that select the same Pods (copies of one) are judged once per run
    declared, first_spec = ctx.index.memo(
        ("service-target-port-unknown", tuple(id(o) for o in selected)),
        lambda: _declared_ports(selected),
    )
    if first_spec is None:
        return  # no selected Pod to judge: service-selector-no-match's finding
    for i, port in named:
        target = port["targetPort"]
        protocol = port.get("protocol")
        protocol = protocol if isinstance(protocol, str) and protocol else "TCP"
        if (target, protocol) in declared:
            continue
        other_protocols = sorted(p for n, p in declared if n == target)
        if other_protocols:
            why = f"the selected Pods name it only for {'/'.join(other_protocols)}, not {protocol}"
        else:
            names = sorted({n for n, _ in declared})
            why = (
                "their containers name the ports " + few([repr(n) for n in names])
                if names
                else "their containers name no ports"
            )
        candidate, spec_path = first_spec
        yield Problem(
            ("spec", "ports", i, "targetPort"),
            f"targetPort {target!r} is not a container port name of the Pods this Service "
            f"selects ({_names(selected)}): {why}; the Service port gets no endpoints",
            related=(
                Related(
                    candidate,
                    (*spec_path, "containers"),
                    f"the containers of {candidate.kind} {candidate.name!r}",
                ),
            ),
        )
