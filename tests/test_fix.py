"""The fix model: fixes attached by checks, applied byte-preserving in rounds (kpolicy.fix)."""

from __future__ import annotations

import pytest

from kpolicy.fix.run import FixOutcome, run_fixes
from kpolicy.fix.text import apply_fixes, scalar_text
from kpolicy.lint import LintOptions, build_session
from kpolicy.model import Expect, Fix, InsertKey, Span, TextEdit


def _run(text: str, unsafe: bool = True, select: tuple[str, ...] = ()) -> FixOutcome:
    options = LintOptions(
        paths=["-"],
        stdin_text=text,
        stdin_filename="x.yaml",
        use_config_discovery=False,
        select=list(select),
    )
    return run_fixes(options, build_session(options), unsafe)


def fixed(text: str, unsafe: bool = True, select: tuple[str, ...] = ()) -> str:
    outcome = _run(text, unsafe, select)
    found = outcome.files.get("x.yaml")
    return text if found is None else found.text


SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web   # the name
spec:
  # selects the StatefulSet's Pods
  selector:
    app: web
  ports:
    - port: 80
"""

STATEFULSET = """\
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""

HEADLESS = ("statefulset-service-not-headless",)


class TestHeadless:
    def test_inserts_cluster_ip_above_the_first_key(self) -> None:
        text = SERVICE + STATEFULSET
        assert fixed(text, select=HEADLESS) == text.replace(
            "  selector:\n    app", "  clusterIP: None\n  selector:\n    app"
        )

    def test_unsafe_only(self) -> None:
        text = SERVICE + STATEFULSET
        assert fixed(text, unsafe=False, select=HEADLESS) == text

    def test_replaces_an_allocated_cluster_ip(self) -> None:
        text = SERVICE.replace("spec:\n", "spec:\n  clusterIP: 10.0.0.7  # pinned\n") + STATEFULSET
        assert fixed(text, select=HEADLESS) == text.replace("10.0.0.7", "None")

    @pytest.mark.parametrize(
        ("spec", "after"),
        [
            ("spec: {selector: {app: web}}", "spec: {clusterIP: None, selector: {app: web}}"),
            ("spec: {}", "spec: {clusterIP: None}"),
        ],
    )
    def test_flow_mappings(self, spec: str, after: str) -> None:
        text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\n{spec}\n" + STATEFULSET
        assert fixed(text, select=HEADLESS) == text.replace(spec, after)

    def test_crlf_and_a_byte_order_mark_survive(self) -> None:
        text = (SERVICE + STATEFULSET).replace("\n", "\r\n")
        assert fixed(text, select=HEADLESS) == text.replace(
            "  selector:\r\n    app", "  clusterIP: None\r\n  selector:\r\n    app"
        )

    @pytest.mark.parametrize(
        "spec",
        [
            "spec:\n  type: ExternalName\n  externalName: db.example.com\n",
            "spec:\n  clusterIP: 10.0.0.7\n  clusterIPs: [10.0.0.7]\n",
        ],
    )
    def test_no_fix_when_more_than_one_value_changes(self, spec: str) -> None:
        text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\n{spec}" + STATEFULSET
        assert fixed(text, select=HEADLESS) == text


DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 10%   # one in ten
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: a, image: "agent:1.0"}]
"""
SURGE = ("rolling-update-invalid",)


class TestDaemonSetSurge:
    def test_inserts_max_unavailable_next_to_max_surge(self) -> None:
        assert fixed(DAEMONSET, select=SURGE) == DAEMONSET.replace(
            "      maxSurge", "      maxUnavailable: 0\n      maxSurge"
        )

    def test_sets_an_explicit_max_unavailable_to_zero(self) -> None:
        text = DAEMONSET.replace("      maxSurge", "      maxUnavailable: 25%\n      maxSurge")
        assert fixed(text, select=SURGE) == text.replace("25%", "0")

    def test_flow_mapping(self) -> None:
        text = DAEMONSET.replace(
            "    rollingUpdate:\n      maxSurge: 10%   # one in ten\n",
            "    rollingUpdate: {maxSurge: 1}\n",
        )
        assert "rollingUpdate: {maxUnavailable: 0, maxSurge: 1}" in fixed(text, select=SURGE)

    @pytest.mark.parametrize("surge", ["0", "'0%'"])
    def test_no_fix_without_a_real_surge(self, surge: str) -> None:
        text = DAEMONSET.replace("10%", surge)
        assert fixed(text, select=SURGE) == text


class TestRounds:
    def test_overlapping_fixes_meet_in_rounds_and_a_second_fix_changes_nothing(self) -> None:
        text = DAEMONSET.replace(
            "      containers:",
            "      containers:\n        - {name: b, image: 'b:1', ports: [{containerPort: 80, hostPort: 80}]}\n      initContainers:",
        )
        once = fixed(text)
        assert once != text
        assert fixed(once) == once
        outcome = _run(once)
        assert not [
            d
            for d in outcome.result.diagnostics
            if d.fix is not None
            and d.rule in ("rolling-update-invalid", "daemonset-surge-with-host-port")
        ]


class TestApply:
    TEXT = "a: 1  # one\nb:\n  c: 2\n"

    def test_a_fix_that_reads_back_otherwise_is_not_applied(self) -> None:
        lying = Fix("x", (TextEdit(Span(1, 4, 1, 5), "3"),), expect=(Expect(0, "/a", True, 4),))
        assert apply_fixes(self.TEXT, [lying]) == (self.TEXT, [])

    def test_a_fix_that_reads_back_as_it_says_is_applied(self) -> None:
        honest = Fix("x", (TextEdit(Span(1, 4, 1, 5), "3"),), expect=(Expect(0, "/a", True, 3),))
        assert apply_fixes(self.TEXT, [honest]) == ("a: 3  # one\nb:\n  c: 2\n", [honest])

    def test_an_inserted_mapping_is_indented_like_its_siblings(self) -> None:
        insert = Fix(
            "x",
            (InsertKey(Span(3, 3, 3, 7), Span(3, 3, 3, 4), "d", {"on": "0777", "e": ["y"]}),),
            expect=(Expect(0, "/b/d", True, {"on": "0777", "e": ["y"]}),),
        )
        text, applied = apply_fixes(self.TEXT, [insert])
        assert applied == [insert]
        assert text == 'a: 1  # one\nb:\n  d:\n    "on": "0777"\n    e:\n      - "y"\n  c: 2\n'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("on", '"on"'),
        ("0777", '"0777"'),
        ("web", "web"),
        ("None", "None"),
        ("1.0", '"1.0"'),
        (3, "3"),
        (True, "true"),
        ("a: b", '"a: b"'),
        ("", '""'),
    ],
)
def test_scalars_are_quoted_where_yaml_1_1_would_misread_them(value: object, written: str) -> None:
    assert scalar_text(value) == written


def test_fixes_are_built_for_the_runs_that_show_or_apply_them() -> None:
    """Only SARIF reports fixes and only --fix and --diff apply them: any other run leaves
    them out (LintOptions.fixes), and the language server's options keep the default."""
    from pathlib import Path

    from kpolicy.command import LintCommand

    def fixes(**fields: object) -> bool:
        return LintCommand(**fields).options({}).fixes  # type: ignore[arg-type]

    assert not fixes(output_format="json")
    assert not fixes(output_format="text")
    assert not fixes(output_format="github", report_formats=("junit",), report_paths=(Path("j"),))
    assert fixes(output_format="sarif")
    assert fixes(output_format="json", report_formats=("sarif",), report_paths=(Path("s"),))
    assert fixes(fix=True)
    assert fixes(diff=True)
    assert LintOptions().fixes


def test_a_run_without_fixes_finds_the_same_findings() -> None:
    """Leaving the fixes out changes nothing else: the same findings, in the same order, with
    no fix (the schema check offers one here: quoting a YAML 1.1 boolean)."""
    from kpolicy.records import replace
    from tests.helpers import lint_text

    text = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    enabled: yes
spec:
  replicas: "3"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: nginx, imagePullPolicy: always}]
"""
    built = lint_text(text)
    left_out = lint_text(text, fixes=False)
    assert any(d.fix is not None and d.rule == "schema-type-mismatch" for d in built.diagnostics)
    assert all(d.fix is None for d in left_out.diagnostics if d.rule.startswith("schema-"))
    assert [replace(d, fix=None) for d in built.diagnostics] == [
        replace(d, fix=None) for d in left_out.diagnostics
    ]
    assert left_out.summary == built.summary
