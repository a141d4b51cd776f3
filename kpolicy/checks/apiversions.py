"""API versions that Kubernetes stops serving: ``api-version-removed`` (the selected release no
longer serves the object's apiVersion) and ``api-version-deprecated`` (it still does, a later
release does not).

Both read one table, ``kpolicy.k8s.apis.REMOVED`` (from the Deprecated API Migration Guide, and
for alpha and beta versions from the bundled OpenAPI documents of each release). Whether a
release serves an apiVersion, and so which replacement to name, comes from the bundled schemas
(:func:`kpolicy.schema.served_minors`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kpolicy.checks import RuleContext, check
from kpolicy.fix import combine, insert_key, set_value
from kpolicy.k8s.apis import REMOVED, Removal
from kpolicy.model import Fix, KObject, Problem
from kpolicy.schema import served_minors
from kpolicy.versions import minor
from kpolicy.workload import template_labels


def _lookup(obj: KObject) -> Removal | None:
    api_version = obj.data.get("apiVersion")
    if not isinstance(api_version, str):
        return None
    return REMOVED.get((api_version, obj.ref.kind or ""))  # obj.kind without its call


def _advice(removal: Removal, version: int) -> str:
    """What to use instead in release 1.<version>: the first replacement that release serves,
    else the preferred one and the release that starts serving it."""
    note = f" ({removal.note})" if removal.note and removal.replacements else ""
    for replacement in removal.replacements:
        if version in served_minors(replacement, removal.kind):
            return f"use apiVersion {replacement}{note}"
    if removal.replacements:
        preferred = removal.replacements[0]
        later = [m for m in served_minors(preferred, removal.kind) if m > version]
        when = f", served from Kubernetes 1.{later[0]}" if later else ""
        return f"use apiVersion {preferred}{when}{note}"
    if removal.note:
        return f"{removal.kind} has no replacement; {removal.note}"
    return f"{removal.kind} has no replacement"


@check("api-version-removed")
def api_version_removed(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    removal = _lookup(obj)
    if removal is None:
        return ()  # a version no release stops serving (nearly every object): no generator
    return _removed(obj, ctx, removal)


def _removed(obj: KObject, ctx: RuleContext, removal: Removal) -> Iterator[Problem]:
    version = minor(ctx.kubernetes_version)
    if version < removal.removed:
        return
    yield Problem(
        ("apiVersion",),
        f"{removal.api_version} {removal.kind} is no longer served (removed in Kubernetes "
        f"1.{removal.removed}); the API server rejects this: {_advice(removal, version)}",
        fix=_to_apps_v1(obj, removal) if ctx.fixes else None,
    )


_APPS_V1 = "apps/v1"
_WORKLOADS = frozenset({"Deployment", "DaemonSet", "ReplicaSet", "StatefulSet"})


def _to_apps_v1(obj: KObject, removal: Removal) -> Fix | None:
    """A workload of extensions/v1beta1 or apps/v1beta1/2 moved to apps/v1, with the selector
    apps/v1 requires: the old versions defaulted a missing selector to the template's labels
    (SetDefaults_Deployment and its siblings in pkg/apis/extensions/v1beta1 and
    pkg/apis/apps/v1beta1), so that selector is written out."""
    if obj.kind not in _WORKLOADS or _APPS_V1 not in removal.replacements:
        return None
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return None
    title = (
        f"Move to apiVersion {_APPS_V1} (unsafe: apps/v1's defaults apply to the fields left "
        f"out, and some differ from {removal.api_version}'s: an extensions/v1beta1 or "
        "apps/v1beta1 DaemonSet or StatefulSet updated OnDelete, in apps/v1 RollingUpdate)"
    )
    parts = [set_value(obj, ("apiVersion",), _APPS_V1, title, "unsafe")]
    if spec.get("selector") is None:
        if "selector" in spec:
            return None  # selector: null, written out: a human decides
        labels = template_labels(obj)
        if not labels:
            return None
        parts.append(
            insert_key(
                obj,
                ("spec",),
                "selector",
                {"matchLabels": dict(labels)},
                title,
                "unsafe",
                before="template",
            )
        )
    return combine(title, "unsafe", parts)


@check("api-version-deprecated")
def api_version_deprecated(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    removal = _lookup(obj)
    if removal is None:
        return ()  # as api_version_removed
    return _deprecated(obj, ctx, removal)


def _deprecated(obj: KObject, ctx: RuleContext, removal: Removal) -> Iterator[Problem]:
    version = minor(ctx.kubernetes_version)
    if version >= removal.removed or version not in served_minors(
        removal.api_version, removal.kind
    ):
        return
    yield Problem(
        ("apiVersion",),
        f"{removal.api_version} {removal.kind} is removed in Kubernetes 1.{removal.removed} "
        f"(Kubernetes {ctx.kubernetes_version} still serves it): {_advice(removal, version)}",
    )
