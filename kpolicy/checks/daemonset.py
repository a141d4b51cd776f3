"""DaemonSet placement and surge: where its pods may run and whether a surge pod fits."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kpolicy.checks import FEW, RuleContext, check, few
from kpolicy.checks.rollout import rolling_update_accepted, rolling_update_params
from kpolicy.k8s.intstr import daemonset_surge_and_unavailable
from kpolicy.k8s.scheduling import (
    daemon_pod_tolerations,
    daemon_should_run,
    node_affinity_matches,
    node_selector_matches,
)
from kpolicy.model import KObject, Path, Problem, Related
from kpolicy.workload import get, int_value, pod_spec, sequence

# at most this many nodes are named per reason in a daemonset-no-eligible-nodes message
_NODES_SHOWN: Final = 5


@dataclass(frozen=True)
class _HostPort:
    path: Path
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


def _host_ports(spec_path: Path, spec: Mapping[str, Any]) -> list[_HostPort]:
    """The host ports a daemon pod holds on its node for its whole life.

    Regular containers, and init containers with ``restartPolicy: Always`` (sidecars), which
    run beside them and hold their ports as long: the scheduler's NodePorts filter counts
    sidecars since kubernetes/kubernetes#132040 (1.34, and 1.33 patch releases). Plain init
    containers have exited before the pod runs, and the filter ignores them. With
    ``hostNetwork: true`` the Pod defaulting (``defaultHostNetworkPorts`` in
    pkg/apis/core/v1/defaults.go) turns every containerPort without a hostPort into a hostPort
    of the same number on the created Pods, although since 1.28 the template itself is no
    longer defaulted.
    """
    host_network = spec.get("hostNetwork") is True
    found: list[_HostPort] = []
    for group in ("containers", "initContainers"):
        for index, container in enumerate(sequence(spec.get(group))):
            if not isinstance(container, dict):
                continue
            if group == "initContainers" and container.get("restartPolicy") != "Always":
                continue
            name = container.get("name")
            name = name if isinstance(name, str) else f"#{index}"
            for port_index, port in enumerate(sequence(container.get("ports"))):
                if not isinstance(port, dict):
                    continue
                protocol = port.get("protocol")
                protocol = protocol if isinstance(protocol, str) and protocol else "TCP"
                base: Path = (*spec_path, group, index, "ports", port_index)
                host_port = int_value(port.get("hostPort"))
                if host_port is not None and host_port > 0:
                    found.append(
                        _HostPort((*base, "hostPort"), name, group, host_port, protocol, False)
                    )
                    continue
                container_port = int_value(port.get("containerPort"))
                defaulted = host_network and port.get("hostPort") in (None, 0)
                if defaulted and container_port is not None and container_port > 0:
                    found.append(
                        _HostPort(
                            (*base, "containerPort"), name, group, container_port, protocol, True
                        )
                    )
    return found


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
    ports = _host_ports(*found)
    if not ports:
        return
    listed = few([port.describe() for port in ports])
    noun = "host port" if len(ports) == 1 else "host ports"
    yield Problem(
        surge.path,
        f"maxSurge {surge.shown} starts the new daemon pod beside the old one, but the pod uses "
        f"{noun} {listed}: the new pod cannot be scheduled while the old one holds the port, "
        "so the rollout stalls",
        related=tuple(Related(obj, port.path, f"host port {port.port}") for port in ports[:FEW]),
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
