"""Suppression: object annotations, ``# kpolicy: ignore[...]`` comments, config exemptions."""

from __future__ import annotations

from collections.abc import Mapping

from kpolicy.config import Config
from kpolicy.model import Diagnostic, KObject
from kpolicy.workload import get, pod_template

ANNOTATION = "kpolicy.io/ignore"


def _ids(value: object) -> frozenset[str]:
    if not isinstance(value, str):
        return frozenset()
    return frozenset(p.strip() for p in value.split(",") if p.strip())


def annotation_ignores(obj: KObject) -> frozenset[str]:
    """Rule ids (or ``all``) that the object, or its pod template, asks to ignore."""
    ids = _ids(get(obj.data, "metadata", "annotations", ANNOTATION))
    template = pod_template(obj)
    if template is not None and template[0]:
        ids |= _ids(get(template[1], "metadata", "annotations", ANNOTATION))
    return ids


def is_suppressed(
    diagnostic: Diagnostic,
    obj: KObject | None,
    directives: Mapping[int, frozenset[str]],
    config: Config,
    annotation_ids: frozenset[str] = frozenset(),
) -> bool:
    rule = diagnostic.rule
    if annotation_ids and (rule in annotation_ids or "all" in annotation_ids):
        return True
    if directives:
        # the directive may sit on any line of a multi-line finding's first line only
        ids = directives.get(diagnostic.span.line)
        if ids is not None and (rule in ids or "all" in ids):
            return True
    if obj is not None and config.exemptions:
        for exemption in config.exemptions:
            if exemption.covers(rule, obj.kind, obj.namespace, obj.name):
                return True
    return False
