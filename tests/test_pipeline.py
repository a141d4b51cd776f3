"""Pipeline behaviour between rules: overlapping findings, internal errors' level."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import lint_text

NO_SELECTOR = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""

BAD_TOLERATION = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  tolerations:
    - {key: a, operator: Exists, effect: Sometimes}
  containers:
    - name: p
      image: busybox:1.36
"""


def test_missing_selector_is_reported_once_by_the_specific_rule() -> None:
    result = lint_text(NO_SELECTOR)
    at_spec = [d for d in result.diagnostics if (d.span.line, d.span.column) == (5, 1)]
    assert [d.rule for d in at_spec] == ["selector-missing"]
    # with the specific rule off, the schema finding is still there
    result = lint_text(NO_SELECTOR, ignore=["selector-missing"])
    assert [d.rule for d in result.diagnostics if d.span.line == 5] == ["schema-required-missing"]


def test_specific_rule_wins_over_schema_enum_at_the_same_node() -> None:
    result = lint_text(BAD_TOLERATION)
    rules = [d.rule for d in result.diagnostics if d.span.line == 7]
    assert rules == ["toleration-invalid"]
    result = lint_text(BAD_TOLERATION, ignore=["toleration-invalid"])
    assert [d.rule for d in result.diagnostics if d.span.line == 7] == ["schema-enum-invalid"]


PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
"""


def test_kustomize_patches_are_exempt_from_required_fields(tmp_path: Path) -> None:
    """A file that a kustomization (a file kustomize reads: kustomization.yaml, .yml or
    Kustomization) names as a patch is a fragment: no required-field findings; the same
    fragment elsewhere, or named by a Kustomization kustomize would not read, gets them."""
    from tests.helpers import lint_paths

    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [../base]\npatches:\n  - path: patch.yaml\n"
        "patchesStrategicMerge: [sm.yaml]\n"
    )
    for name in ("patch.yaml", "sm.yaml", "other.yaml", "named-elsewhere.yaml"):
        (overlay / name).write_text(PATCH)
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "notkustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "patches:\n  - path: ../overlay/named-elsewhere.yaml\n"
    )
    for jobs in (1, 2):
        result = lint_paths(
            ["."], tmp_path, jobs=jobs, ignore=["selector-missing"], use_config_discovery=False
        )
        flagged = {d.file for d in result.diagnostics if d.rule == "schema-required-missing"}
        assert flagged == {"overlay/other.yaml", "overlay/named-elsewhere.yaml"}, jobs


def test_object_findings_of_a_local_pass_then_of_the_deferred_checks_are_those_of_one_pass() -> (
    None
):
    """A worker keeps the reported findings of its local pass (no generic duplicate, none that
    a patch or a Helm hook is exempt from), and the parent applies the same again when the
    deferred checks add findings: for every split of an object's findings between the two
    passes, the result is that of one pass over all of them."""
    from itertools import combinations

    from kpolicy.lint.post import HOOK_EXEMPT_RULES, object_findings
    from kpolicy.load import load_text
    from kpolicy.model import Diagnostic, Severity, SourceFile, Span
    from kpolicy.records import replace

    generic = frozenset({"schema-enum-invalid", "schema-type-mismatch"})
    exempt = sorted(HOOK_EXEMPT_RULES)[0]

    def finding(rule: str, line: int) -> Diagnostic:
        point = Span.point(line, 3)
        return Diagnostic(rule, Severity.WARNING, f"{rule} {line}", "f.yaml", point, "", None)

    found = [
        finding("schema-enum-invalid", 4),
        finding("toleration-invalid", 4),
        finding("schema-type-mismatch", 5),
        finding(exempt, 5),
        finding("schema-enum-invalid", 6),
        finding("image-tag-latest", 7),
    ]
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
    plain = load_text(SourceFile("f.yaml", text)).objects[0]
    hook = load_text(SourceFile("f.yaml", text + "  annotations: {helm.sh/hook: test}\n")).objects[
        0
    ]
    shown = {}
    for name, obj in (("plain", plain), ("hook", hook), ("patch", replace(plain, patch=True))):
        whole = object_findings(obj, list(found), generic)
        shown[name] = [d.message for d in whole]
        for size in range(len(found) + 1):
            for deferred in combinations(range(len(found)), size):
                local = [d for i, d in enumerate(found) if i not in deferred]
                more = [d for i, d in enumerate(found) if i in deferred]
                early = object_findings(obj, local, generic)
                late = object_findings(obj, [*early, *more], generic) if more else early
                assert sorted(d.message for d in late) == sorted(shown[name])
    # a specific finding hides the schema finding at its place, unless the object is exempt
    # from it (a Helm hook from the relating rules)
    assert shown["plain"] == [
        "toleration-invalid 4",
        f"{exempt} 5",
        "schema-enum-invalid 6",
        "image-tag-latest 7",
    ]
    assert shown["hook"] == [
        "toleration-invalid 4",
        "schema-type-mismatch 5",
        "schema-enum-invalid 6",
        "image-tag-latest 7",
    ]


def test_to_diagnostic_gives_every_field_its_own_value() -> None:
    """``to_diagnostic`` makes its Diagnostic by position (issue 20: a finding costs less):
    each of the problem's values lands in the field of its name, as a call by keyword puts
    it, and ``rejects`` is the problem's own when it has one."""
    from kpolicy.engine import to_diagnostic
    from kpolicy.load import load_text
    from kpolicy.model import (
        Diagnostic,
        Fix,
        Problem,
        Related,
        RelatedLocation,
        Severity,
        SourceFile,
    )
    from kpolicy.records import replace

    (obj, other) = load_text(SourceFile("a.yaml", NO_SELECTOR + "---\n" + NO_SELECTOR)).objects
    fix = Fix("a fix", ())
    related = (Related(other, ("spec",), "the other one"),)
    problem = Problem(("spec", "template"), "a message", "key", related, fix, "r", None)
    for rule_rejects, problem_rejects in ((True, None), (False, None), (False, True)):
        found = to_diagnostic(
            obj,
            "r",
            Severity.WARNING,
            replace(problem, rejects=problem_rejects),
            rule_rejects,
        )
        assert found == Diagnostic(
            rule="r",
            severity=Severity.WARNING,
            message="a message",
            file="a.yaml",
            span=obj.span(("spec", "template"), "key"),
            path="/spec/template",
            object=obj.ref,
            related=(
                RelatedLocation(
                    file="a.yaml",
                    span=other.span(("spec",)),
                    message="the other one",
                    object=other.ref,
                ),
            ),
            fix=fix,
            suppression=None,
            rejects=rule_rejects if problem_rejects is None else problem_rejects,
            origin=None,
            found_at=None,
        )
