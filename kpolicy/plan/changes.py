"""What an update does (:func:`classify_change`: rollout, scale, create, delete) and whether
the API server accepts it (the immutable fields of ValidateStatefulSetUpdate and the apps/v1
selectors); the rejection fields every plan carries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from kpolicy.k8s.defaults import apps_v1_defaults
from kpolicy.model import to_pointer
from kpolicy.plan._fields import (
    _replicas_of,
    _spec,
    _start_ordinal_raw,
)
from kpolicy.plan.data import (
    MAX_SHOWN_REJECTIONS,
    ChangeKind,
    Rejection,
)

# Server-managed fields that differ between a live dump and a manifest but change nothing.
_IGNORED_METADATA: Final = frozenset(
    {"resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink"}
)
_LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"

# follows ValidateStatefulSetUpdate (pkg/apis/apps/validation/validation.go): these spec fields
# are copied from the old object before the rest of the spec must compare equal. Newer releases
# also accept revisionHistoryLimit (the API server's own message names it).
_STATEFULSET_MUTABLE: Final = frozenset(
    {
        "replicas",
        "ordinals",
        "template",
        "updateStrategy",
        "revisionHistoryLimit",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
    }
)


def _strip_nulls(value: object) -> object:
    """Drop null members: Go decodes ``field: null`` as the absent field."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _semantic(value: object) -> object:
    """A value normalised for apimachinery's ``equality.Semantic.DeepEqual``: null members are
    absent, and an empty list or map equals an absent one."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            normal = _semantic(item)
            if normal is None or normal == [] or normal == {}:
                continue
            out[key] = normal
        return out
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


def _diff(old: object, new: object, path: tuple[str | int, ...], out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if key not in old or key not in new:
                out.append(to_pointer((*path, str(key))))
            else:
                _diff(old[key], new[key], (*path, str(key)), out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(a, b, (*path, index), out)
        return
    if type(old) is not type(new) or old != new:
        out.append(to_pointer(path))


def _comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = _strip_nulls(dict(obj))
    assert isinstance(cleaned, dict)
    cleaned.pop("status", None)
    metadata = cleaned.get("metadata")
    if isinstance(metadata, dict):
        metadata = {k: v for k, v in metadata.items() if k not in _IGNORED_METADATA}
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
            annotations = {k: v for k, v in annotations.items() if k != _LAST_APPLIED}
            if annotations:
                metadata["annotations"] = annotations
            else:
                metadata.pop("annotations")
        cleaned["metadata"] = metadata
    return cleaned


def _template(obj: Mapping[str, Any]) -> object:
    return _semantic(_spec(obj).get("template"))


def _update_kind(*, template_changed: bool, scaled: bool) -> ChangeKind:
    """The kind of an update that changes the Pod template, the number of Pods, both or
    neither."""
    if template_changed and scaled:
        return "rollout+scale"
    if template_changed:
        return "rollout"
    if scaled:
        return "scale"
    return "none"


def classify_change(
    new: Mapping[str, Any] | None, old: Mapping[str, Any] | None
) -> tuple[ChangeKind, list[str], str | None]:
    """What an update from ``old`` to ``new`` does to the Pods, the changed JSON pointers, and
    the reason the API server refuses the update (None when it accepts it).

    ``rollout``: the Pod template changed; ``scale``: only the number (or, for a StatefulSet,
    the ordinals) of Pods changed; both: ``rollout+scale``; no object before or after:
    ``create``/``delete``; anything else is ``none``.
    """
    if new is None and old is None:
        return "none", [], None
    if old is None:
        return "create", [], None
    if new is None:
        return "delete", [], None
    new_obj: Mapping[str, Any] = new if isinstance(new, dict) else {}
    old_obj: Mapping[str, Any] = old if isinstance(old, dict) else {}
    changed: list[str] = []
    _diff(_comparable(old_obj), _comparable(new_obj), (), changed)
    kind = new_obj.get("kind") if isinstance(new_obj.get("kind"), str) else old_obj.get("kind")

    template_changed = _template(new_obj) != _template(old_obj)
    scaled = False
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        scaled = _replicas_of(new_obj) != _replicas_of(old_obj)
    if kind == "StatefulSet":
        scaled = scaled or _start_ordinal_raw(new_obj) != _start_ordinal_raw(old_obj)

    change = _update_kind(template_changed=template_changed, scaled=scaled)
    return change, changed, _rejection(kind, new_obj, old_obj)


# follows ValidateStatefulSetUpdate (pkg/apis/apps/validation/validation.go) and, for the
# selector of a Deployment or DaemonSet, the ValidateUpdate of deploymentStrategy and
# daemonSetStrategy (pkg/registry/apps/*/strategy.go), which make spec.selector immutable in
# apps/v1
def _rejection(kind: object, new: Mapping[str, Any], old: Mapping[str, Any]) -> str | None:
    if kind == "StatefulSet":
        # the API server compares the stored (defaulted) specs
        new_spec = _semantic(apps_v1_defaults("StatefulSet", _spec(new)))
        old_spec = _semantic(apps_v1_defaults("StatefulSet", _spec(old)))
        assert isinstance(new_spec, dict) and isinstance(old_spec, dict)
        for spec in (new_spec, old_spec):
            if spec.get("serviceName") == "":  # the zero value of a string
                del spec["serviceName"]
        offending = sorted(
            key
            for key in set(new_spec) | set(old_spec)
            if key not in _STATEFULSET_MUTABLE and new_spec.get(key) != old_spec.get(key)
        )
        if offending:
            fields = ", ".join(f"spec.{key}" for key in offending)
            return (
                f"{fields} changed: the API server forbids updates to StatefulSet spec fields "
                "other than replicas, ordinals, template, updateStrategy, revisionHistoryLimit, "
                "persistentVolumeClaimRetentionPolicy and minReadySeconds; delete and re-create "
                "the StatefulSet (with --cascade=orphan to keep its Pods)"
            )
        return None
    if kind in ("Deployment", "DaemonSet", "ReplicaSet"):
        new_selector = _semantic(_spec(new).get("selector"))
        old_selector = _semantic(_spec(old).get("selector"))
        if new_selector != old_selector:
            return (
                f"spec.selector changed: the selector of a {kind} is immutable in apps/v1; "
                f"delete and re-create the {kind}"
            )
    return None


def change_of(
    new: Mapping[str, Any],
    old: object,
    *,
    diff: bool,
    rejections: Sequence[Rejection],
    notes: list[str],
    calm_start: str,
) -> tuple[ChangeKind, list[str], str | None]:
    """What a plan changes, the changed pointers and why the API server refuses it (None when
    it does not): against ``old`` when given; a creation in diff mode (no old version); else a
    template update from the calm start that ``calm_start`` describes (a note, unless the
    workload is refused as written)."""
    changed_fields: list[str] = []
    rejected: str | None = None
    if isinstance(old, dict):
        change, changed_fields, rejected = classify_change(new, old)
    elif diff:
        change = "create"
    else:
        change = "rollout"
        if not rejections:
            notes.append(
                f"no previous version given: planned as a Pod template update from {calm_start}"
            )
    return change, changed_fields, _refusal(rejections) or rejected


def _refusal(rejections: Sequence[Rejection]) -> str | None:
    """``rejected`` of a workload the API server refuses as written: its first finding."""
    if not rejections:
        return None
    text = rejections[0].describe()
    more = len(rejections) - 1
    if more:
        text += f" (and {more} more finding{'' if more == 1 else 's'} the API server rejects)"
    return text


def _rejected_note(kind: str, rejections: Sequence[Rejection]) -> str:
    if rejections:
        return (
            f"the API server rejects this {kind or 'object'} as written, so no Pod is "
            "created or changed"
        )
    return "the API server refuses this update, so nothing changes"


def _rejection_fields(rejections: Sequence[Rejection]) -> dict[str, Any]:
    shown = tuple(rejections[:MAX_SHOWN_REJECTIONS])
    return {"rejections": shown, "rejections_omitted": len(rejections) - len(shown)}


def _stored_template(
    template: object, old: Mapping[str, Any] | None, rejected: str | None
) -> object:
    """The Pod template the running Pods keep: the old one when the API server refuses the
    update (it keeps the stored object)."""
    if rejected is not None and old is not None:
        return _spec(old).get("template")
    return template
