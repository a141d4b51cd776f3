"""Workload selectors: present, and matching the pod template's labels."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kpolicy.checks import RuleContext, check
from kpolicy.checks.podspec import is_builtin, rejection
from kpolicy.fix import combine, insert_key, set_value
from kpolicy.k8s.selector import Selector, labels_str
from kpolicy.model import Fix, KObject, Path, Problem, Related
from kpolicy.workload import WORKLOAD_KINDS, custom_layout, get, template_labels

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final


# ValidateDeploymentSpec / ValidateStatefulSetSpec / ValidateDaemonSetSpec /
# ValidateReplicaSetSpec (pkg/apis/apps/validation): selector required and non-empty in apps/v1
@check("selector-missing")
def selector_missing(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if obj.data.get("apiVersion") != "apps/v1":
        return
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return  # a missing or wrongly typed spec is the schema rules' finding
    if "selector" not in spec:
        labels = template_labels(obj)
        yield Problem(
            ("spec", "selector"),
            f"{obj.kind} has no spec.selector; the API server rejects this "
            "(spec.selector: Required value)",
            fix=insert_key(
                obj,
                ("spec",),
                "selector",
                {"matchLabels": dict(labels)},
                "Add a selector of the pod template's labels (unsafe: the selector cannot be "
                "changed later, and it may select other workloads' pods with those labels)",
                "unsafe",
                before="template",
            )
            if labels and ctx.fixes
            else None,
        )
        return
    selector = spec["selector"]
    if selector is None:
        yield Problem(
            ("spec", "selector"),
            "spec.selector is null; the API server rejects this (spec.selector: Required value)",
            anchor="key",
        )
    elif (
        isinstance(selector, dict)
        and not selector.get("matchLabels")
        and not selector.get("matchExpressions")
    ):
        yield Problem(
            ("spec", "selector"),
            f"spec.selector is empty and would select every Pod; the API server rejects an "
            f"empty selector for a {obj.kind}",
            anchor="key",
        )


# ValidateDeploymentSpec and its siblings (pkg/apis/apps/validation); ValidateJobSpec
# (pkg/apis/batch/validation) for a Job with manualSelector: true (a generated selector always
# matches, and a user's selector without manualSelector is job-selector-invalid's finding)
@check("selector-mismatch")
def selector_mismatch(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    if (obj.ref.kind or "") in _SPEC_TEMPLATE_KINDS and _match_labels_in_template(obj.data):
        return ()  # the usual selector, matched pair by pair: no Selector, no generator
    return _selector_mismatch(obj, ctx)


# the built-in kinds whose selector and pod template are spec.selector and spec.template
_SPEC_TEMPLATE_KINDS: Final = frozenset(
    kind for kind, layout in WORKLOAD_KINDS.items() if layout.template == ("spec", "template")
)


def _match_labels_in_template(data: dict[str, Any]) -> bool:
    """Whether spec.selector is matchLabels alone (no matchExpressions) and each of its string
    pairs is among spec.template's string labels: such a selector matches the template (False
    for anything else, which :func:`_selector_mismatch` judges)."""
    spec = data.get("spec")
    if spec.__class__ is not dict:
        return False
    selector = spec.get("selector")
    template = spec.get("template")
    if (
        selector.__class__ is not dict
        or template.__class__ is not dict
        or selector.get("matchExpressions") is not None
    ):
        return False
    match_labels = selector.get("matchLabels")
    metadata = template.get("metadata")
    if match_labels.__class__ is not dict or metadata.__class__ is not dict:
        return False
    labels = metadata.get("labels")
    if labels.__class__ is not dict:
        return False
    for key, value in match_labels.items():
        if key.__class__ is not str or value.__class__ is not str or labels.get(key) != value:
            return False
    return True


def _selector_mismatch(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if obj.ref.kind == "Job" and (  # obj.kind without the property's call
        get(obj.data, "spec", "manualSelector") is not True or not is_builtin(obj)
    ):
        return
    selector_path: tuple[str | int, ...] = ("spec", "selector")
    template_path: tuple[str | int, ...] = ("spec", "template")
    as_map = False
    how = "the API server rejects this"
    layout = custom_layout(obj)
    if layout is not None:
        # Rollout (ValidateRolloutSpec → ValidatePodTemplateSpecForReplicaSet), DeploymentConfig
        # (ValidateDeploymentConfigSpec → ValidatePodTemplateSpecForRC), a configured kind
        if layout.selector is None:
            return
        selector_path, template_path, as_map = layout.selector, layout.template, layout.selector_map
        how = rejection(obj, ctx)
    raw = get(obj.data, *selector_path)
    if not isinstance(raw, dict):
        return
    selector = Selector.from_map(raw) if as_map else Selector.from_label_selector(raw)
    if selector is None or selector.is_empty or selector.selects_nothing:
        return  # invalid or empty selectors are other rules' findings
    template = get(obj.data, *template_path)
    if not isinstance(template, dict):
        return
    labels = template_labels(obj)
    if selector.matches(labels):
        return
    labels_path = (*template_path, "metadata", "labels")
    yield Problem(
        selector_path,
        f"selector {selector} does not match template labels {labels_str(labels)}; {how}",
        anchor="key",
        related=(Related(obj, labels_path, "the pod template's labels"),),
        fix=_labels_fix(obj, raw if as_map else raw.get("matchLabels"), raw, template_path)
        if ctx.fixes
        else None,
    )


def _labels_fix(
    obj: KObject, wanted: object, selector: dict[str, object], template_path: Path
) -> Fix | None:
    """Give the pod template the selector's labels (a label selector of matchLabels only, or
    a plain map selector)."""
    if not isinstance(wanted, dict) or (
        wanted is not selector and set(selector) != {"matchLabels"}
    ):
        return None
    if not all(isinstance(v, str) for v in wanted.values()):
        return None
    title = (
        "Add the selector's labels to the pod template (unsafe: every pod is replaced, and "
        "Services or policies that select the pods by label may match differently)"
    )
    metadata_path = (*template_path, "metadata")
    labels = get(obj.data, *metadata_path, "labels")
    if labels is None:
        if not isinstance(get(obj.data, *metadata_path), dict):
            return None
        return insert_key(obj, metadata_path, "labels", dict(wanted), title, "unsafe")
    if not isinstance(labels, dict):
        return None
    return combine(
        title,
        "unsafe",
        [
            set_value(obj, (*metadata_path, "labels", key), value, title, "unsafe")
            for key, value in wanted.items()
            if labels.get(key) != value
        ],
    )
