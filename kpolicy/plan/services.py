"""Traffic shares: for each Service, the planned workloads whose Pods it selects and each one's
share of the ready endpoints, at the start and after each step.

A Service sends traffic to the ready Pods its selector matches (the EndpointSlice controller
lists ready endpoints only), so with kube-proxy's default random choice each workload's share
is its ready Pods over all ready Pods. Workloads' steps are taken together: step i of every
plan happens at once, and a plan that has ended stays at its last state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kpolicy.model import ObjectRef
from kpolicy.plan.data import Backend, ServiceShares

__all__ = ["BackendCandidate", "service_shares"]

# a Service lists at most this many steps (the formats show the first and the last ones)
MAX_SERVICE_STEPS: Final = 40


@dataclass(frozen=True, slots=True)
class BackendCandidate:
    """A planned workload as a Service sees it: its Pod labels and its ready Pods at the start
    and after each step."""

    object: ObjectRef
    labels: Mapping[str, str]
    start: int
    steps: tuple[int, ...]


def _selector(service: Mapping[str, Any]) -> dict[str, str] | None:
    spec = service.get("spec")
    selector = spec.get("selector") if isinstance(spec, dict) else None
    if not isinstance(selector, dict) or not selector:
        return None  # a Service without a selector has hand-made endpoints
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in selector.items()):
        return None
    return dict(selector)


def _namespace(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    return namespace if isinstance(namespace, str) and namespace else "default"


def _shares(counts: Sequence[tuple[ObjectRef, int]]) -> tuple[Backend, ...]:
    total = sum(count for _, count in counts)
    return tuple(
        Backend(ref, count, round(count / total, 4) if total else 0.0) for ref, count in counts
    )


def service_shares(
    services: Sequence[Mapping[str, Any]], candidates: Sequence[BackendCandidate]
) -> tuple[ServiceShares, ...]:
    """Each Service (first of a namespace and name) that selects at least one candidate."""
    out: list[ServiceShares] = []
    seen: set[tuple[str, str]] = set()
    for service in services:
        if not isinstance(service, dict):
            continue
        metadata = service.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if not isinstance(name, str):
            continue
        namespace = _namespace(service)
        if (namespace, name) in seen:
            continue
        seen.add((namespace, name))
        selector = _selector(service)
        if selector is None:
            continue
        chosen = [
            c
            for c in candidates
            if (c.object.namespace or "default") == namespace
            and all(c.labels.get(k) == v for k, v in selector.items())
        ]
        if not chosen:
            continue
        length = max(len(c.steps) for c in chosen)
        shown = min(length, MAX_SERVICE_STEPS)
        steps = tuple(
            _shares(
                [
                    (c.object, c.steps[min(i, len(c.steps) - 1)] if c.steps else c.start)
                    for c in chosen
                ]
            )
            for i in range(shown)
        )
        ref = ObjectRef(
            service.get("apiVersion") if isinstance(service.get("apiVersion"), str) else None,
            "Service",
            namespace,
            name,
        )
        out.append(
            ServiceShares(
                ref, _shares([(c.object, c.start) for c in chosen]), steps, length - shown
            )
        )
    return tuple(out)
