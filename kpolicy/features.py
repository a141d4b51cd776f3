"""Feature gates whose defaults change kpolicy's answers, per Kubernetes minor release.

One table for rules and the planner, so that they cannot disagree. Each entry lists
(minor release, default) changes in order; a gate is off before its first entry. Sources:
``pkg/features/kube_features.go`` (the versioned feature specs) of each release, read for every
release kpolicy supports (1.29 to 1.37).
"""

from __future__ import annotations

from collections.abc import Mapping

from kpolicy.versions import minor

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

GATE_DEFAULTS: Final[Mapping[str, tuple[tuple[int, bool], ...]]] = {
    # alpha (off) 1.24-1.34, beta and on by default from 1.35
    "MaxUnavailableStatefulSet": ((24, False), (35, True)),
    # alpha (off) 1.26, beta and on from 1.27, GA (locked on) from 1.31
    "StatefulSetStartOrdinal": ((26, False), (27, True)),
    # absent in 1.29, alpha (off) 1.30 and 1.31, beta and on by default from 1.32, GA (locked
    # on) from 1.34
    "RelaxedEnvironmentVariableValidation": ((30, False), (32, True)),
    # KEP-5307: alpha (off) 1.34, beta and on by default from 1.35: a container-level
    # restartPolicy (Always, OnFailure, Never) on regular and init containers
    "ContainerRestartRules": ((34, False), (35, True)),
    # alpha (off) from 1.35; later defaults unknown to kpolicy (kept off)
    "TaintTolerationComparisonOperators": ((35, False),),
    # Jobs (pkg/registry/batch/job/strategy.go drops a field whose gate is off, so that the
    # API server neither validates nor keeps it):
    # KEP-3850: alpha 1.28, beta and on from 1.29, GA (locked on) from 1.33
    "JobBackoffLimitPerIndex": ((28, False), (29, True)),
    # KEP-3939: alpha 1.28, beta and on from 1.29, GA (locked on) from 1.34
    "JobPodReplacementPolicy": ((28, False), (29, True)),
    # KEP-3998 (spec.successPolicy): alpha 1.30, beta and on from 1.31, GA from 1.33
    "JobSuccessPolicy": ((30, False), (31, True)),
    # KEP-4368 (spec.managedBy): alpha 1.30, beta and on from 1.32
    "JobManagedBy": ((30, False), (32, True)),
    # KEP-2021 (HorizontalPodAutoscaler minReplicas 0): alpha (off) since 1.16
    "HPAScaleToZero": ((16, False),),
    # KEP-2837 (spec.resources of a Pod): alpha 1.32, beta and on from 1.34
    "PodLevelResources": ((32, False), (34, True)),
}


def gate_default(name: str, kubernetes_version: str) -> bool:
    version = minor(kubernetes_version)
    enabled = False
    for since, default in GATE_DEFAULTS.get(name, ()):
        if version >= since:
            enabled = default
    return enabled


def gate_enabled(name: str, kubernetes_version: str, gates: Mapping[str, bool] | None) -> bool:
    """The explicit ``--feature-gates``/``featureGates`` setting, else the release default."""
    if gates is not None and name in gates:
        return bool(gates[name])
    return gate_default(name, kubernetes_version)


def gate_reason(name: str, kubernetes_version: str, gates: Mapping[str, bool] | None) -> str:
    """A phrase saying whether the gate is on and why, for messages and plan notes."""
    enabled = gate_enabled(name, kubernetes_version, gates)
    state = "on" if enabled else "off"
    if gates is not None and name in gates:
        return f"the {name} feature gate is turned {state} (feature gates setting)"
    return f"the {name} feature gate is {state} by default in Kubernetes {kubernetes_version}"


def unknown_gate(name: str) -> str | None:
    """Why ``name`` is not a feature gate kpolicy knows, with a "did you mean" and the known
    ones; None when it knows it. A gate that changes none of kpolicy's answers is not known:
    setting it would change nothing, silently."""
    if name in GATE_DEFAULTS:
        return None
    import difflib

    known = sorted(GATE_DEFAULTS)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:  # case alone (maxunavailablestatefulset)
        close = [gate for gate in known if gate.lower() == name.lower()]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (
        f"unknown feature gate {name!r}{hint} (kpolicy knows {', '.join(known)}: the gates "
        "that change its answers)"
    )
