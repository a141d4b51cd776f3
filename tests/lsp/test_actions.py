"""The text edits behind code actions: they keep comments and layout, and never change a value
they do not mean to."""

from __future__ import annotations

import pytest

from kpolicy.load import load_text
from kpolicy.lsp.actions import daemonset_surge_edits, headless_service_edits, ignore_edit
from kpolicy.lsp.positions import apply_edits
from kpolicy.model import KObject, SourceFile


def _apply_ignore(text: str, line: int, rule: str = "some-rule") -> str | None:
    edit = ignore_edit(text, line, rule)
    return None if edit is None else apply_edits(text, [edit])


def _object(text: str, kind: str) -> KObject:
    return next(o for o in load_text(SourceFile("x.yaml", text)).objects if o.kind == kind)


class TestIgnore:
    def test_appends_a_trailing_directive(self) -> None:
        assert _apply_ignore("a: 1\nb: 2   \n", 2) == "a: 1\nb: 2  # kpolicy: ignore[some-rule]\n"

    def test_keeps_an_existing_comment(self) -> None:
        assert _apply_ignore("b: 2  # why\n", 1) == "b: 2  # why  # kpolicy: ignore[some-rule]\n"

    def test_merges_into_a_directive_on_the_line(self) -> None:
        text = "b: 2  # kpolicy: ignore[other]\n"
        assert _apply_ignore(text, 1) == "b: 2  # kpolicy: ignore[other,some-rule]\n"

    def test_merges_into_a_directive_on_the_line_above(self) -> None:
        text = "a:\n  # kpolicy: ignore[other]\n  b: 2\n"
        assert _apply_ignore(text, 3) == "a:\n  # kpolicy: ignore[other,some-rule]\n  b: 2\n"

    def test_keeps_the_style_of_the_list(self) -> None:
        text = "b: 2  # kpolicy: ignore[one, two]\n"
        assert _apply_ignore(text, 1) == "b: 2  # kpolicy: ignore[one, two, some-rule]\n"

    def test_nothing_when_already_ignored(self) -> None:
        assert ignore_edit("b: 2  # kpolicy: ignore\n", 1, "some-rule") is None
        assert ignore_edit("b: 2  # kpolicy: ignore[some-rule]\n", 1, "some-rule") is None
        assert ignore_edit("b: 2  # kpolicy: ignore[]\n", 1, "some-rule") is None

    def test_a_line_inside_a_quoted_string_gets_a_comment_line_above(self) -> None:
        # a trailing "#" inside the multi-line string would become part of its value
        text = 'a:\n  b: "one\n    two"\n'
        assert _apply_ignore(text, 2) == 'a:\n  # kpolicy: ignore[some-rule]\n  b: "one\n    two"\n'

    def test_nothing_where_every_edit_would_change_a_value(self) -> None:
        text = 'a: "one\n  two\n  three"\n'
        assert ignore_edit(text, 2, "some-rule") is None

    def test_keeps_crlf_line_breaks(self) -> None:
        text = 'a:\r\n  b: "one\r\n    two"\r\n'
        assert (
            _apply_ignore(text, 2)
            == 'a:\r\n  # kpolicy: ignore[some-rule]\r\n  b: "one\r\n    two"\r\n'
        )


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


class TestHeadless:
    def test_inserts_cluster_ip_above_the_first_key(self) -> None:
        edits = headless_service_edits(_object(SERVICE, "Service"), SERVICE)
        assert edits is not None
        assert apply_edits(SERVICE, edits) == SERVICE.replace(
            "  selector:\n", "  clusterIP: None\n  selector:\n"
        )

    def test_replaces_an_allocated_cluster_ip(self) -> None:
        text = SERVICE.replace("spec:\n", "spec:\n  clusterIP: 10.0.0.7  # pinned\n")
        edits = headless_service_edits(_object(text, "Service"), text)
        assert edits is not None
        assert apply_edits(text, edits) == text.replace("10.0.0.7", "None")

    @pytest.mark.parametrize(
        ("spec", "fixed"),
        [
            ("spec: {selector: {app: web}}", "spec: {clusterIP: None, selector: {app: web}}"),
            ("spec: {}", "spec: {clusterIP: None}"),
        ],
    )
    def test_flow_mappings(self, spec: str, fixed: str) -> None:
        text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\n{spec}\n"
        edits = headless_service_edits(_object(text, "Service"), text)
        assert edits is not None
        assert apply_edits(text, edits) == text.replace(spec, fixed)

    def test_in_a_list_item_of_a_multi_document_file(self) -> None:
        text = (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
            "apiVersion: v1\nkind: List\nitems:\n"
            "  - apiVersion: v1\n    kind: Service\n    metadata: {name: web}\n"
            "    spec:\n      ports: [{port: 80}]\n"
        )
        edits = headless_service_edits(_object(text, "Service"), text)
        assert edits is not None
        assert apply_edits(text, edits).endswith(
            "    spec:\n      clusterIP: None\n      ports: [{port: 80}]\n"
        )

    @pytest.mark.parametrize(
        "spec",
        [
            "spec:\n  type: ExternalName\n  externalName: db.example.com\n",
            "spec:\n  clusterIP: 10.0.0.7\n  clusterIPs: [10.0.0.7]\n",
            "spec: null\n",
        ],
    )
    def test_no_fix_when_more_than_one_value_changes(self, spec: str) -> None:
        text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\n{spec}"
        assert headless_service_edits(_object(text, "Service"), text) is None


DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 10%   # one in ten
"""


class TestDaemonSetSurge:
    def test_inserts_max_unavailable_next_to_max_surge(self) -> None:
        edits = daemonset_surge_edits(_object(DAEMONSET, "DaemonSet"), DAEMONSET)
        assert edits is not None
        assert apply_edits(DAEMONSET, edits) == DAEMONSET.replace(
            "      maxSurge", "      maxUnavailable: 0\n      maxSurge"
        )

    def test_sets_an_explicit_max_unavailable_to_zero(self) -> None:
        text = DAEMONSET.replace("      maxSurge", "      maxUnavailable: 25%\n      maxSurge")
        edits = daemonset_surge_edits(_object(text, "DaemonSet"), text)
        assert edits is not None
        assert apply_edits(text, edits) == text.replace("25%", "0")

    def test_flow_mapping(self) -> None:
        text = DAEMONSET.replace(
            "    rollingUpdate:\n      maxSurge: 10%   # one in ten\n",
            "    rollingUpdate: {maxSurge: 1}\n",
        )
        edits = daemonset_surge_edits(_object(text, "DaemonSet"), text)
        assert edits is not None
        assert "rollingUpdate: {maxUnavailable: 0, maxSurge: 1}" in apply_edits(text, edits)

    @pytest.mark.parametrize("surge", ["0", "'0%'", "'abc'", "-1"])
    def test_no_fix_without_a_real_surge(self, surge: str) -> None:
        text = DAEMONSET.replace("10%", surge)
        assert daemonset_surge_edits(_object(text, "DaemonSet"), text) is None
