"""kpolicy.k8s.apis.REMOVED, the one table of api-version-removed and api-version-deprecated,
against the bundled schemas of every release, and the two rules across releases."""

from __future__ import annotations

import pytest

from kpolicy.k8s.apis import REMOVED
from kpolicy.schema import served_minors, supported_versions
from kpolicy.schema.bundle import _index
from tests.helpers import lint_text, of_rule

OLDEST, NEWEST = (int(v.split(".")[1]) for v in (supported_versions()[0], supported_versions()[-1]))


def test_every_entry_agrees_with_the_bundled_schemas() -> None:
    for (api_version, kind), removal in REMOVED.items():
        served = served_minors(api_version, kind)
        if removal.removed <= OLDEST:
            assert served == (), (api_version, kind, served)
        else:
            # served up to the release before, never from the release that removes it
            assert removal.removed - 1 in served, (api_version, kind)
            assert max(served) == removal.removed - 1, (api_version, kind)
        for replacement in removal.replacements:
            assert served_minors(replacement, kind), (replacement, kind)
        assert removal.replacements or removal.note or kind == "PodSecurityPolicy"
        assert removal.source in ("guide", "schemas")


def test_every_version_the_bundle_stops_serving_is_in_the_table() -> None:
    table = REMOVED
    for api_version, kinds in _index()["kinds"].items():
        for kind in kinds:
            last = max(served_minors(api_version, kind))
            if last < NEWEST:
                assert (api_version, kind) in table, (api_version, kind, last)
                assert table[(api_version, kind)].removed == last + 1


@pytest.mark.parametrize("version", supported_versions())
def test_one_rule_or_the_other_never_both(version: str) -> None:
    minor = int(version.split(".")[1])
    documents = [
        f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\n"
        for api_version, kind in REMOVED
    ]
    result = lint_text(
        "---\n".join(documents),
        kubernetes_version=version,
        select=["api-version-removed", "api-version-deprecated"],
    )
    by_object: dict[tuple[str, str], set[str]] = {}
    for diagnostic in result.diagnostics:
        assert diagnostic.object is not None
        key = (diagnostic.object.api_version or "", diagnostic.object.kind or "")
        by_object.setdefault(key, set()).add(diagnostic.rule)
    for (api_version, kind), removal in REMOVED.items():
        rules = by_object.get((api_version, kind), set())
        if minor >= removal.removed:
            assert rules == {"api-version-removed"}, (api_version, kind)
        elif minor in served_minors(api_version, kind):
            assert rules == {"api-version-deprecated"}, (api_version, kind)
        else:  # not served yet in this release (an alpha version added later)
            assert rules == set(), (api_version, kind)


FLOW_SCHEMA = """\
apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata:
  name: batch-jobs
spec:
  priorityLevelConfiguration:
    name: workload-low
"""


@pytest.mark.parametrize(
    ("version", "rule"),
    [
        ("1.29", "api-version-deprecated"),
        ("1.31", "api-version-deprecated"),
        ("1.32", "api-version-removed"),
        ("1.37", "api-version-removed"),
    ],
)
def test_flowcontrol_v1beta3_by_release(version: str, rule: str) -> None:
    result = lint_text(FLOW_SCHEMA, kubernetes_version=version)
    found = of_rule(result, rule)
    assert [(d.span.line, d.span.column) for d in found] == [(1, 13)]
    assert "removed in Kubernetes 1.32" in found[0].message
    assert "use apiVersion flowcontrol.apiserver.k8s.io/v1" in found[0].message
    other = "api-version-removed" if rule == "api-version-deprecated" else "api-version-deprecated"
    assert of_rule(result, other) == []


def test_the_replacement_named_is_one_the_release_serves() -> None:
    text = """\
apiVersion: networking.k8s.io/v1alpha1
kind: IPAddress
metadata:
  name: 10.96.0.10
"""
    # removed in 1.31; 1.31 and 1.32 serve v1beta1, 1.33 and later v1
    for version, advice in [
        ("1.31", "use apiVersion networking.k8s.io/v1beta1"),
        ("1.32", "use apiVersion networking.k8s.io/v1beta1"),
        ("1.33", "use apiVersion networking.k8s.io/v1"),
    ]:
        (finding,) = of_rule(lint_text(text, kubernetes_version=version), "api-version-removed")
        assert finding.message.endswith(advice), (version, finding.message)
    # 1.30 serves neither replacement yet: the stable one, and when it comes
    (finding,) = of_rule(lint_text(text, kubernetes_version="1.30"), "api-version-deprecated")
    assert "use apiVersion networking.k8s.io/v1, served from Kubernetes 1.33" in finding.message


def test_the_served_versions_are_served_by_every_supported_release() -> None:
    from kpolicy.k8s.apis import SERVED

    every = tuple(range(OLDEST, NEWEST + 1))
    for kind, api_versions in SERVED.items():
        for api_version in api_versions:
            assert served_minors(api_version, kind) == every, (api_version, kind)
            assert (api_version, kind) not in REMOVED
