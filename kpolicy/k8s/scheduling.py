"""Node placement as the DaemonSet controller decides it.

The DaemonSet controller does not ask the scheduler where a daemon pod may run; it applies its
own predicates (``pkg/controller/daemon/daemon_controller.go``): ``spec.nodeName`` pinning,
the pod's ``nodeSelector`` and required node affinity, and the node's NoSchedule/NoExecute
taints against the pod's tolerations plus the tolerations the controller adds to every
daemon pod.

Inputs are plain mappings as loaded from YAML. Nodes use ``metadata.name``,
``metadata.labels`` and ``spec.taints``. Wrong-typed fields are treated as absent (validation
rules report them); malformed requirements inside a node selector term make that term fail
to match, as the controller's lazy parse errors do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from kpolicy.k8s.selector import labels_str
from kpolicy.k8s.validation import is_qualified_name, is_valid_label_value
from kpolicy.records import record

__all__ = [
    "DaemonPlacement",
    "HostPort",
    "daemon_placement",
    "daemon_pod_tolerations",
    "daemon_should_run",
    "daemonset_added_tolerations",
    "find_untolerated_taint",
    "host_ports",
    "host_ports_conflict",
    "node_affinity_matches",
    "node_selector_matches",
    "taint_str",
    "toleration_tolerates_taint",
]

TAINT_NODE_NOT_READY: Final = "node.kubernetes.io/not-ready"
TAINT_NODE_UNREACHABLE: Final = "node.kubernetes.io/unreachable"
TAINT_NODE_DISK_PRESSURE: Final = "node.kubernetes.io/disk-pressure"
TAINT_NODE_MEMORY_PRESSURE: Final = "node.kubernetes.io/memory-pressure"
TAINT_NODE_PID_PRESSURE: Final = "node.kubernetes.io/pid-pressure"
TAINT_NODE_UNSCHEDULABLE: Final = "node.kubernetes.io/unschedulable"
TAINT_NODE_NETWORK_UNAVAILABLE: Final = "node.kubernetes.io/network-unavailable"

NO_SCHEDULE: Final = "NoSchedule"
NO_EXECUTE: Final = "NoExecute"

# (key, effect) of the Exists tolerations util.AddOrUpdateDaemonPodTolerations adds, in order;
# network-unavailable only for host-network pods.
_DAEMON_TOLERATIONS: Final = (
    (TAINT_NODE_NOT_READY, NO_EXECUTE),
    (TAINT_NODE_UNREACHABLE, NO_EXECUTE),
    (TAINT_NODE_DISK_PRESSURE, NO_SCHEDULE),
    (TAINT_NODE_MEMORY_PRESSURE, NO_SCHEDULE),
    (TAINT_NODE_PID_PRESSURE, NO_SCHEDULE),
    (TAINT_NODE_UNSCHEDULABLE, NO_SCHEDULE),
)
_HOST_NETWORK_TOLERATION: Final = (TAINT_NODE_NETWORK_UNAVAILABLE, NO_SCHEDULE)

# strconv.ParseInt(s, 10, 64): optional sign, ASCII digits.
_PARSE_INT_RE: Final = re.compile(r"[+-]?[0-9]+")
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

_OBJECT_NAME_FIELD: Final = "metadata.name"


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _mappings(value: object) -> list[Mapping[str, object]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _string(mapping: Mapping[str, object], key: str) -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else ""


def _parse_int64(text: str) -> int | None:
    if _PARSE_INT_RE.fullmatch(text) is None:
        return None
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


def _node_name(node: Mapping[str, object]) -> str:
    return _string(_mapping(node.get("metadata")), "name")


def _node_labels(node: Mapping[str, object]) -> dict[str, str]:
    labels = _mapping(_mapping(node.get("metadata")).get("labels"))
    return {key: value for key, value in labels.items() if isinstance(value, str)}


def _node_taints(node: Mapping[str, object]) -> list[Mapping[str, object]]:
    return _mappings(_mapping(node.get("spec")).get("taints"))


# follows k8s.io/api/core/v1.Taint.ToString
def taint_str(taint: Mapping[str, object]) -> str:
    """Render a taint as ``key=value:Effect``, or ``key:Effect`` without a value."""
    key, value, effect = _string(taint, "key"), _string(taint, "value"), _string(taint, "effect")
    if not value:
        return f"{key}:{effect}"
    return f"{key}={value}:{effect}"


# follows k8s.io/api/core/v1.Toleration.ToleratesTaint
def toleration_tolerates_taint(
    toleration: Mapping[str, object], taint: Mapping[str, object]
) -> bool:
    """True when ``toleration`` tolerates ``taint``.

    An empty effect matches every effect; an empty key matches every key; operator ``Exists``
    matches every value; an empty operator means ``Equal``. ``Lt``/``Gt`` compare the values
    as integers (taint value below/above the toleration's; alpha in 1.35 behind the
    TaintTolerationComparisonOperators gate). Any other operator tolerates nothing.
    """
    if not isinstance(toleration, Mapping) or not isinstance(taint, Mapping):
        return False
    effect = _string(toleration, "effect")
    if effect and effect != _string(taint, "effect"):
        return False
    key = _string(toleration, "key")
    if key and key != _string(taint, "key"):
        return False
    operator = _string(toleration, "operator")
    if operator in ("", "Equal"):
        return _string(toleration, "value") == _string(taint, "value")
    if operator == "Exists":
        return True
    if operator in ("Lt", "Gt"):
        toleration_value = _parse_int64(_string(toleration, "value"))
        taint_value = _parse_int64(_string(taint, "value"))
        if toleration_value is None or taint_value is None:
            return False
        if operator == "Lt":
            return taint_value < toleration_value
        return taint_value > toleration_value
    return False


# follows k8s.io/component-helpers/scheduling/corev1.FindMatchingUntoleratedTaint
# (with TolerationsTolerateTaint)
def find_untolerated_taint(
    tolerations: object,
    taints: object,
    effects: Iterable[str] = (NO_SCHEDULE, NO_EXECUTE),
) -> Mapping[str, object] | None:
    """The first taint, in node order, with one of ``effects`` that no toleration tolerates."""
    wanted = frozenset(effects)
    toleration_list = _mappings(tolerations)
    for taint in _mappings(taints):
        if _string(taint, "effect") not in wanted:
            continue
        if not any(toleration_tolerates_taint(toleration, taint) for toleration in toleration_list):
            return taint
    return None


# follows k8s.io/kubernetes/pkg/controller/daemon/util.AddOrUpdateDaemonPodTolerations
def daemonset_added_tolerations(pod_spec: object) -> list[dict[str, str]]:
    """The Exists tolerations the DaemonSet controller adds to every daemon pod.

    not-ready and unreachable (NoExecute, no tolerationSeconds, so daemon pods are never
    evicted for them); disk-pressure, memory-pressure, pid-pressure and unschedulable
    (NoSchedule); and network-unavailable (NoSchedule) when ``hostNetwork`` is true.
    """
    keys = list(_DAEMON_TOLERATIONS)
    if _mapping(pod_spec).get("hostNetwork") is True:
        keys.append(_HOST_NETWORK_TOLERATION)
    return [{"key": key, "operator": "Exists", "effect": effect} for key, effect in keys]


# follows k8s.io/kubernetes/pkg/apis/core/v1/helper.AddOrUpdateTolerationInPodSpec applied by
# util.AddOrUpdateDaemonPodTolerations
def daemon_pod_tolerations(pod_spec: object) -> list[dict[str, object]]:
    """The tolerations a daemon pod ends up with: the template's plus the added ones.

    A template toleration with the same key, operator, value and effect as an added one is
    replaced by it, so ``tolerationSeconds`` on e.g. a not-ready toleration is dropped. The
    input is not modified.
    """
    result: list[dict[str, object]] = [
        dict(toleration) for toleration in _mappings(_mapping(pod_spec).get("tolerations"))
    ]
    for added in daemonset_added_tolerations(pod_spec):
        # an identical toleration already present (no tolerationSeconds) leaves the list alone
        if any(
            _same_toleration(added, existing) and existing.get("tolerationSeconds") is None
            for existing in result
        ):
            continue
        replaced = False
        for index, existing in enumerate(result):
            if _same_toleration(added, existing):
                result[index] = dict(added)
                replaced = True
        if not replaced:
            result.append(dict(added))
    return result


# follows k8s.io/api/core/v1.Toleration.MatchToleration
def _same_toleration(first: Mapping[str, object], second: Mapping[str, object]) -> bool:
    return all(
        _string(first, field) == _string(second, field)
        for field in ("key", "operator", "value", "effect")
    )


# follows k8s.io/apimachinery/pkg/labels.SelectorFromSet as used by
# nodeaffinity.GetRequiredNodeAffinity for spec.nodeSelector
def node_selector_matches(node_labels: object, node_selector: object) -> bool:
    """True when the node carries every ``key: value`` of the pod's ``nodeSelector``.

    An empty or absent ``nodeSelector`` matches every node. The set is not validated here
    (``SelectorFromSet`` does not validate either).
    """
    labels = _mapping(node_labels)
    selector = _mapping(node_selector)
    return all(key in labels and labels[key] == value for key, value in selector.items())


# follows k8s.io/component-helpers/scheduling/corev1/nodeaffinity.RequiredNodeAffinity.Match
# (the nodeAffinity part: LazyErrorNodeSelector.Match)
def node_affinity_matches(node: Mapping[str, object], affinity: object) -> bool:
    """True when ``node`` satisfies the pod's required node affinity.

    ``affinity`` is the pod's ``spec.affinity``. Without
    ``nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`` every node matches. Its
    ``nodeSelectorTerms`` are ORed; an empty term, or a term that does not parse (unknown
    operator, wrong arity, invalid key or value), matches nothing, so an empty term list
    matches no node. Within a term, ``matchExpressions`` (node labels: In, NotIn, Exists,
    DoesNotExist, Gt, Lt) and ``matchFields`` (``metadata.name`` with In/NotIn and exactly
    one value) are ANDed.
    """
    node_affinity = _mapping(affinity).get("nodeAffinity")
    required = _mapping(node_affinity).get("requiredDuringSchedulingIgnoredDuringExecution")
    if not isinstance(required, Mapping):
        return True
    node_map = _mapping(node)
    labels = _node_labels(node_map)
    name = _node_name(node_map)
    return any(
        _term_matches(term, labels, name) for term in _terms(required.get("nodeSelectorTerms"))
    )


def _terms(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


# follows nodeaffinity.newNodeSelectorTerm and nodeSelectorTerm.match
def _term_matches(term: object, labels: Mapping[str, str], node_name: str) -> bool:
    if not isinstance(term, Mapping):
        return False
    expressions = term.get("matchExpressions")
    field_expressions = term.get("matchFields")
    expression_list = expressions if isinstance(expressions, list) else []
    field_list = field_expressions if isinstance(field_expressions, list) else []
    if not expression_list and not field_list:
        return False  # nil or empty term selects no objects
    label_results = [
        _label_requirement_matches(expression, labels) for expression in expression_list
    ]
    field_results = [_field_requirement_matches(expression, node_name) for expression in field_list]
    if any(result is None for result in (*label_results, *field_results)):
        return False  # a parse error: the term never matches
    if not all(label_results):
        return False
    # fields are only compared when the node has a name (extractNodeFields)
    return not node_name or all(field_results)


_NODE_SELECTOR_OPERATORS: Final = frozenset({"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"})


# follows nodeaffinity.nodeSelectorRequirementsAsSelector, labels.NewRequirement and
# labels.Requirement.Matches; None means the requirement does not parse
def _label_requirement_matches(expression: object, labels: Mapping[str, str]) -> bool | None:
    if not isinstance(expression, Mapping):
        return None
    operator = expression.get("operator")
    key = expression.get("key")
    raw_values = expression.get("values")
    if not isinstance(operator, str) or operator not in _NODE_SELECTOR_OPERATORS:
        return None
    if not isinstance(key, str) or is_qualified_name(key):
        return None
    if raw_values is None:
        raw_values = []
    if not isinstance(raw_values, list) or not all(isinstance(value, str) for value in raw_values):
        return None
    values: list[str] = [value for value in raw_values if isinstance(value, str)]
    if any(is_valid_label_value(value) for value in values):
        return None
    present = key in labels
    if operator in ("In", "NotIn"):
        if not values:
            return None
        if operator == "In":
            return present and labels[key] in values
        return not present or labels[key] not in values
    if operator in ("Exists", "DoesNotExist"):
        if values:
            return None
        return present if operator == "Exists" else not present
    # Gt / Lt: exactly one integer value; the label must be present and an integer too
    if len(values) != 1:
        return None
    bound = _parse_int64(values[0])
    if bound is None:
        return None
    if not present:
        return False
    actual = _parse_int64(labels[key])
    if actual is None:
        return False
    return actual > bound if operator == "Gt" else actual < bound


# follows nodeaffinity.nodeSelectorRequirementsAsFieldSelector and fields.Set lookups
def _field_requirement_matches(expression: object, node_name: str) -> bool | None:
    if not isinstance(expression, Mapping):
        return None
    operator = expression.get("operator")
    key = expression.get("key")
    values = expression.get("values")
    if operator not in ("In", "NotIn"):
        return None
    if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
        return None
    field_value = node_name if key == _OBJECT_NAME_FIELD else ""
    if operator == "In":
        return field_value == values[0]
    return field_value != values[0]


@record(frozen=True)
class DaemonPlacement:
    """What ``NodeShouldRunDaemonPod`` returns, with the reason when the pod may not run.

    ``should_run``: a daemon pod should be created on the node. ``should_continue_running``:
    an existing daemon pod may stay (it fails only on node name, node selector, node affinity
    or an untolerated NoExecute taint). ``reason`` is empty when ``should_run`` is true.
    """

    should_run: bool
    should_continue_running: bool
    reason: str = ""


# follows k8s.io/kubernetes/pkg/controller/daemon.NodeShouldRunDaemonPod and predicates
def daemon_placement(
    node: Mapping[str, object],
    pod_spec: Mapping[str, object],
    tolerations: list[dict[str, object]] | None = None,
) -> DaemonPlacement:
    """Decide whether a DaemonSet with pod template ``pod_spec`` runs a pod on ``node``.

    ``tolerations``: :func:`daemon_pod_tolerations` of ``pod_spec``, when the caller places the
    same pod spec on many nodes and works them out once."""
    node_map = _mapping(node)
    spec = _mapping(pod_spec)
    node_name = _node_name(node_map)
    pinned = _string(spec, "nodeName")
    if pinned and pinned != node_name:
        return DaemonPlacement(False, False, f"spec.nodeName {pinned} pins the pod to another node")
    node_selector = spec.get("nodeSelector")
    if not node_selector_matches(_node_labels(node_map), node_selector):
        rendered = labels_str(node_selector)
        return DaemonPlacement(False, False, f"node selector {rendered} does not match")
    if not node_affinity_matches(node_map, spec.get("affinity")):
        return DaemonPlacement(False, False, "required node affinity does not match")
    if tolerations is None:
        tolerations = daemon_pod_tolerations(spec)
    taints = _node_taints(node_map)
    untolerated = find_untolerated_taint(tolerations, taints)
    if untolerated is not None:
        evicting = find_untolerated_taint(tolerations, taints, effects=(NO_EXECUTE,))
        return DaemonPlacement(
            False, evicting is None, f"taint {taint_str(untolerated)} not tolerated"
        )
    return DaemonPlacement(True, True)


def daemon_should_run(
    node: Mapping[str, object],
    pod_spec: Mapping[str, object],
    tolerations: list[dict[str, object]] | None = None,
) -> tuple[bool, str]:
    """``(should_run, reason)`` from :func:`daemon_placement`; the reason is empty when it runs.

    Reasons read like ``node selector disktype=ssd does not match`` or
    ``taint dedicated=gpu:NoSchedule not tolerated``.
    """
    placement = daemon_placement(node, pod_spec, tolerations)
    return placement.should_run, placement.reason


# --------------------------------------------------------------------------------------------
# Host ports: one reading for the lint rule (daemonset-surge-with-host-port) and the planner


@record(frozen=True, slots=True)
class HostPort:
    """A port a Pod holds on its node; ``path`` is relative to the pod spec."""

    path: tuple[str | int, ...]
    container: str
    group: str  # "containers" or "initContainers"
    port: int
    protocol: str
    from_host_network: bool

    def describe(self) -> str:
        where = "init container" if self.group == "initContainers" else "container"
        text = f"{self.port}/{self.protocol} ({where} {self.container}"
        if self.from_host_network:
            text += " with hostNetwork"
        return text + ")"


def _whole_number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def host_ports(pod_spec: Mapping[str, object]) -> list[HostPort]:
    """The host ports a Pod holds on its node for its whole life.

    Regular containers, and init containers with ``restartPolicy: Always`` (sidecars), which
    run beside them and hold their ports as long: the scheduler's NodePorts filter counts
    sidecars since kubernetes/kubernetes#132040 (1.34, and 1.33 patch releases). Plain init
    containers have exited before the pod runs, and the filter ignores them. With
    ``hostNetwork: true`` the Pod defaulting (``defaultHostNetworkPorts`` in
    pkg/apis/core/v1/defaults.go) turns every containerPort without a hostPort into a hostPort
    of the same number on the created Pods, although since 1.28 the template itself is no
    longer defaulted.
    """
    host_network = pod_spec.get("hostNetwork") is True
    found: list[HostPort] = []
    for group in ("containers", "initContainers"):
        containers = pod_spec.get(group)
        for index, container in enumerate(containers if isinstance(containers, list) else ()):
            if not isinstance(container, dict):
                continue
            if group == "initContainers" and container.get("restartPolicy") != "Always":
                continue
            name = container.get("name")
            name = name if isinstance(name, str) else f"#{index}"
            ports = container.get("ports")
            for port_index, port in enumerate(ports if isinstance(ports, list) else ()):
                if not isinstance(port, dict):
                    continue
                protocol = port.get("protocol")
                protocol = protocol if isinstance(protocol, str) and protocol else "TCP"
                base: tuple[str | int, ...] = (group, index, "ports", port_index)
                host_port = _whole_number(port.get("hostPort"))
                if host_port is not None and host_port > 0:
                    found.append(
                        HostPort((*base, "hostPort"), name, group, host_port, protocol, False)
                    )
                    continue
                container_port = _whole_number(port.get("containerPort"))
                defaulted = host_network and port.get("hostPort") in (None, 0)
                if defaulted and container_port is not None and container_port > 0:
                    found.append(
                        HostPort(
                            (*base, "containerPort"), name, group, container_port, protocol, True
                        )
                    )
    return found


def host_ports_conflict(new: Sequence[HostPort], old: Sequence[HostPort]) -> list[HostPort]:
    """The host ports of ``new`` that ``old`` already holds (same port and protocol): the
    scheduler's NodePorts filter keeps a Pod that asks for one off a node where another Pod
    holds it."""
    held = {(port.port, port.protocol) for port in old}
    return [port for port in new if (port.port, port.protocol) in held]
