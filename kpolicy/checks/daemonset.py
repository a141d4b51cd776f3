"""DaemonSet placement and surge: where its pods may run and whether a surge pod fits."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from kpolicy.checks import FEW, RuleContext, check, few
from kpolicy.checks.rollout import rolling_update_accepted, rolling_update_params
from kpolicy.fix import combine, set_value
from kpolicy.k8s.intstr import daemonset_surge_and_unavailable
from kpolicy.model import KObject, Path, Problem, Related
from kpolicy.workload import get, pod_spec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

# at most this many nodes are named per reason in a daemonset-no-eligible-nodes message
_NODES_SHOWN: Final = 5


# The KEP for DaemonSet surge (KEP-1591) names host ports as the conflict that keeps a surge pod
# from landing: the scheduler's NodePorts filter refuses the new pod while the old one holds
# the port, and the controller deletes the old pod only once the new one is available.
@check("daemonset-surge-with-host-port")
def daemonset_surge_with_host_port(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    rolling = rolling_update_params(obj, ctx)
    if rolling is None or not rolling_update_accepted(rolling):
        return  # OnDelete never surges; a rejected pair is rolling-update-invalid's
    surge = rolling.params["maxSurge"]
    unavailable = rolling.params["maxUnavailable"]
    if not surge.written:
        return  # the default surge is 0
    # follows daemon/util.SurgeCount: any non-zero surge is at least one pod on a node
    try:
        surge_count, _ = daemonset_surge_and_unavailable(surge.value, unavailable.value, 1)
    except ValueError:
        return
    if surge_count <= 0:
        return
    found = pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    from kpolicy.k8s.scheduling import host_ports  # DaemonSets only: not at start-up

    ports = host_ports(spec)
    if not ports:
        return
    listed = few([port.describe() for port in ports])
    noun = "host port" if len(ports) == 1 else "host ports"
    yield Problem(
        surge.path,
        f"maxSurge {surge.shown} starts the new daemon pod beside the old one, but the pod uses "
        f"{noun} {listed}: the new pod cannot be scheduled while the old one holds the port, "
        "so the rollout stalls",
        related=tuple(
            Related(obj, (*spec_path, *port.path), f"host port {port.port}") for port in ports[:FEW]
        ),
        fix=combine(
            "Set maxSurge: 0 and maxUnavailable: 1 (unsafe: each node's daemon pod is down "
            "between the old pod's stop and the new pod's start)",
            "unsafe",
            [
                set_value(obj, surge.path, 0, "", "unsafe"),
                set_value(obj, unavailable.path, 1, "", "unsafe", before="maxSurge"),
            ],
        ),
    )


def _names(names: list[str]) -> str:
    if len(names) <= _NODES_SHOWN:
        return ", ".join(names)
    return f"{', '.join(names[:_NODES_SHOWN])} and {len(names) - _NODES_SHOWN} more"


def _node_name(node: KObject) -> str:
    return node.name or "<unnamed node>"


def _exclusion_path(
    spec_path: Path, spec: Mapping[str, Any], nodes: list[Mapping[str, Any]]
) -> Path:
    """Where to point when no node qualifies: the one constraint that excludes every node.

    Follows the order of the checks in daemon.NodeShouldRunDaemonPod (node name, node selector,
    required node affinity, taints); mixed causes point at the DaemonSet's kind.
    """
    from kpolicy.k8s.scheduling import node_affinity_matches, node_selector_matches

    causes: set[str] = set()
    pinned = spec.get("nodeName")
    for node in nodes:
        name = get(node, "metadata", "name")
        if isinstance(pinned, str) and pinned and pinned != name:
            causes.add("nodeName")
        elif not node_selector_matches(get(node, "metadata", "labels"), spec.get("nodeSelector")):
            causes.add("nodeSelector")
        elif not node_affinity_matches(node, spec.get("affinity")):
            causes.add("affinity")
        else:
            causes.add("tolerations")
    if len(causes) != 1:
        return ("kind",)
    cause = causes.pop()
    if cause == "affinity":
        return (
            *spec_path,
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
        )
    return (*spec_path, cause)


# follows daemon.NodeShouldRunDaemonPod per node (kpolicy.k8s.scheduling.daemon_should_run)
@check("daemonset-no-eligible-nodes")
def daemonset_no_eligible_nodes(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not ctx.nodes:
        return  # without --nodes (or with no Node in it) there is nothing to judge
    # with --nodes only: kpolicy.k8s.scheduling is not imported at start-up
    from kpolicy.k8s.scheduling import daemon_pod_tolerations, daemon_should_run

    found = pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    by_reason: dict[str, list[str]] = {}  # reason -> node names, in the order of the nodes
    tolerations = daemon_pod_tolerations(spec)  # the same on every node
    for node in ctx.nodes:
        runs, reason = daemon_should_run(node.data, spec, tolerations)
        if runs:
            return
        by_reason.setdefault(reason, []).append(_node_name(node))
    total = len(ctx.nodes)
    reasons = [f"{_names(names)}: {reason}" for reason, names in by_reason.items()]
    shown = few(reasons, separator="; ")
    path = _exclusion_path(spec_path, spec, [node.data for node in ctx.nodes])
    yield Problem(
        path,
        f"no node of {total} runs this DaemonSet: {shown}",
        anchor="key" if path != ("kind",) else "value",
    )
