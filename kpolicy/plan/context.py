"""What every plan of a run shares (:class:`PlanContext`) and the feature gates it implies."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from kpolicy.features import gate_enabled
from kpolicy.plan.data import DEFAULT_CLUSTER_DOMAIN, DEFAULT_KUBERNETES_VERSION


@dataclass(frozen=True, slots=True)
class PlanContext:
    """What every plan of one run shares, given once instead of as keyword arguments to each
    plan function: the Kubernetes version and feature gates the controllers run with, the
    cluster domain of DNS names, the nodes a DaemonSet is placed on (None: hypothetical ones,
    :data:`HYPOTHETICAL_NODE_COUNT`) and the Services a Pod's DNS names are looked up in (the
    command narrows them to the workload's namespace with :func:`dataclasses.replace`)."""

    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    feature_gates: Mapping[str, bool] | None = None
    cluster_domain: str = DEFAULT_CLUSTER_DOMAIN
    nodes: Sequence[object] | None = None
    services: Sequence[object] = ()


DEFAULT_CONTEXT: Final = PlanContext()


def _parse_version(text: object) -> tuple[int, int] | None:
    if not isinstance(text, str):
        return None
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?", text.strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def feature_gate_enabled(
    name: str,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    feature_gates: Mapping[str, bool] | None = None,
) -> bool:
    """Whether a feature gate is on: the explicit setting, else its default for the version
    (the shared table in :mod:`kpolicy.features`). An unreadable version counts as
    :data:`DEFAULT_KUBERNETES_VERSION`."""
    parsed = _parse_version(kubernetes_version)
    version = f"{parsed[0]}.{parsed[1]}" if parsed else DEFAULT_KUBERNETES_VERSION
    return gate_enabled(name, version, feature_gates)


def _gate_note(
    name: str, kubernetes_version: str, feature_gates: Mapping[str, bool] | None, enabled: bool
) -> str:
    if feature_gates is not None and name in feature_gates:
        return f"the {name} feature gate is {'on' if enabled else 'off'} (--feature-gates)"
    return (
        f"the {name} feature gate is {'on' if enabled else 'off'} by default in "
        f"Kubernetes {kubernetes_version}"
    )
