"""Suppressions that stay honest: unused-suppression, reasons (justification in JSON and
SARIF), exemptions with until, and rules that inline suppressions cannot silence."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

import kpolicy.cache as cache_module
import kpolicy.dates
import kpolicy.engine as engine_module
from kpolicy import parallel
from kpolicy.checks import Check, registry
from kpolicy.cli import app
from kpolicy.lint import LintOptions, lint
from kpolicy.model import LintResult, Problem
from tests.conftest import ROOT, load_sarif_schema
from tests.helpers import chdir, lint_text

UNUSED = "unused-suppression"

# hostNetwork is a host-namespaces warning; the image has a tag (no image finding)
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true<host>
      containers:
        - name: web
          image: nginx:1.27<image>
"""


def deployment(host: str = "", image: str = "") -> str:
    return DEPLOYMENT.replace("<host>", host).replace("<image>", image)


def unused(result: LintResult) -> list[tuple[int, int, str]]:
    return [(d.span.line, d.span.column, d.message) for d in result.diagnostics if d.rule == UNUSED]


def rules_of(result: LintResult) -> list[str]:
    return [d.rule for d in result.diagnostics]


# -- unused-suppression ---------------------------------------------------------------------


def test_a_comment_that_suppresses_is_used() -> None:
    result = lint_text(deployment(host="  # kpolicy: ignore[host-namespaces]"))
    assert rules_of(result) == []
    assert [d.rule for d in result.suppressed] == ["host-namespaces"]


def test_a_comment_that_suppresses_nothing_is_reported_on_the_comment() -> None:
    result = lint_text(
        deployment(
            host="  # kpolicy: ignore[host-namespaces]",
            image="  # kpolicy: ignore[image-tag-missing-or-latest] -- pinned",
        )
    )
    assert unused(result) == [
        (
            15,
            30,
            "comment 'kpolicy: ignore[image-tag-missing-or-latest]' suppresses nothing: "
            "image-tag-missing-or-latest reports nothing on the line it covers",
        ),
    ]
    finding = next(d for d in result.diagnostics if d.rule == UNUSED)
    assert finding.span.end_column == 30 + len("# kpolicy: ignore[image-tag-missing-or-latest]")
    assert finding.severity.value == "warning"
    assert finding.object is not None and finding.object.name == "web"


def test_a_comment_that_is_partly_used_names_what_is_not() -> None:
    result = lint_text(
        deployment(host="  # kpolicy: ignore[host-namespaces, selector-mismatch, imge]")
    )
    assert unused(result) == [
        (
            12,
            26,
            "comment 'kpolicy: ignore[host-namespaces, selector-mismatch, imge]' is partly "
            "unused: selector-mismatch reports nothing on the line it covers; unknown "
            "rule 'imge'",
        ),
    ]


def test_a_comment_alone_on_its_line_covers_the_next() -> None:
    text = deployment().replace(
        "      hostNetwork: true\n",
        "      # kpolicy: ignore[host-namespaces]\n"
        "      hostNetwork: true\n"
        "      # kpolicy: ignore[host-namespaces]\n",
    )
    result = lint_text(text)
    assert [(line, column) for line, column, _ in unused(result)] == [(14, 7)]


def test_rules_that_did_not_run_are_never_called_unused(tmp_path: Path) -> None:
    text = deployment(image="  # kpolicy: ignore[image-tag-missing-or-latest, run-as-root]")
    # run-as-root is off by default; with --select, the image rule did not run either
    assert unused(lint_text(text, select=[UNUSED, "host-namespaces"])) == []
    # off in config
    (tmp_path / ".kpolicy.yaml").write_text("rules:\n  image-tag-missing-or-latest: off\n")
    (tmp_path / "web.yaml").write_text(text)
    with chdir(tmp_path):
        result = lint(LintOptions(paths=["web.yaml"], cwd=tmp_path))[0]
    assert unused(result) == []
    # --ignore
    assert unused(lint_text(text, ignore=["image-tag-missing-or-latest"])) == []
    # and by default, only the image rule ran
    assert [m for _, _, m in unused(lint_text(text))] == [
        "comment 'kpolicy: ignore[image-tag-missing-or-latest, run-as-root]' suppresses "
        "nothing: image-tag-missing-or-latest reports nothing on the line it covers"
    ]


def test_ignore_every_rule_is_judged_only_when_every_rule_runs() -> None:
    text = deployment(image="  # kpolicy: ignore")
    assert [m for _, _, m in unused(lint_text(text))] == [
        "comment 'kpolicy: ignore' suppresses nothing: no finding on the line it covers that "
        "it may suppress"
    ]
    assert unused(lint_text(text, select=[UNUSED, "host-namespaces"])) == []
    assert unused(lint_text(text, ignore=["selector-mismatch"])) == []
    # every rule selected is not narrower than the config
    from kpolicy.ruledefs import builtin_rules

    every = [r for r, rule in builtin_rules().items() if rule.enabled]
    assert len(unused(lint_text(text, select=every))) == 1


def test_naming_unused_suppression_keeps_a_suppression_quiet() -> None:
    text = deployment(image="  # kpolicy: ignore[image-tag-missing-or-latest, unused-suppression]")
    assert unused(lint_text(text)) == []


def test_unused_annotations_on_the_object_and_its_template() -> None:
    text = (
        deployment()
        .replace(
            "  name: web\n",
            "  name: web\n  annotations:\n    kpolicy.io/ignore: selector-mismatch\n",
        )
        .replace(
            "      labels: {app: web}\n",
            "      labels: {app: web}\n      annotations:\n"
            "        kpolicy.io/ignore: 'host-namespaces, selector-overlap -- CNI'\n",
        )
    )
    result = lint_text(text)
    assert rules_of(result) == [UNUSED, UNUSED]
    first, second = result.diagnostics
    assert (first.span.line, first.span.column, first.path) == (
        6,
        24,
        "/metadata/annotations/kpolicy.io~1ignore",
    )
    assert first.message == (
        "annotation kpolicy.io/ignore: 'selector-mismatch' suppresses "
        "nothing: selector-mismatch reports nothing on the object"
    )
    assert (second.span.line, second.path) == (
        14,
        "/spec/template/metadata/annotations/kpolicy.io~1ignore",
    )
    assert second.message.startswith(
        "annotation kpolicy.io/ignore: 'host-namespaces, "
        "selector-overlap -- CNI' is partly unused: "
        "selector-overlap reports nothing on the object"
    )
    assert [(d.rule, d.suppression and d.suppression.justification) for d in result.suppressed] == [
        ("host-namespaces", "CNI")
    ]


def test_a_broken_document_says_nothing_about_its_comments() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
        "# kpolicy: ignore[selector-mismatch]\nkey: [unclosed\n"
    )
    result = lint_text(text)
    assert rules_of(result) == ["yaml-syntax"]
    # the same comment in a file that loads whole is judged
    clean = lint_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
        "# kpolicy: ignore[selector-mismatch]\n"
    )
    assert rules_of(clean) == [UNUSED]


@pytest.fixture
def failing_host_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def broken(obj: Any, ctx: Any) -> Iterator[Problem]:
        raise ZeroDivisionError("deliberate failure in a test check")
        yield  # a generator

    table = dict(registry())
    table["host-namespaces"] = Check(("host-namespaces",), broken)
    monkeypatch.setattr(engine_module, "registry", lambda: table)
    yield


def test_a_rule_that_failed_says_nothing_about_its_suppressions(failing_host_rule: None) -> None:
    result = lint_text(deployment(host="  # kpolicy: ignore[host-namespaces]"))
    assert rules_of(result) == ["internal-error"]


@pytest.mark.skipif(not parallel.can_fork(), reason="no fork on this platform")
def test_checks_deferred_by_workers_count(tmp_path: Path) -> None:
    """A worker's local pass defers the checks that need every object: their findings reach
    the suppressions all the same."""
    for index in range(6):
        (tmp_path / f"db{index}.yaml").write_text(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n"
            f"  namespace: ns{index}\nspec:\n"
            "  serviceName: db  # kpolicy: ignore[statefulset-service-not-found]\n"
            "  selector: {matchLabels: {app: db}}\n  template:\n"
            "    metadata: {labels: {app: db}}\n"
            "    spec: {containers: [{name: db, image: 'postgres:16'}]}\n"
        )
    with chdir(tmp_path):
        serial = lint(LintOptions(paths=["."], cwd=tmp_path, jobs=1, use_config_discovery=False))[0]
        forked = lint(LintOptions(paths=["."], cwd=tmp_path, jobs=2, use_config_discovery=False))[0]
    assert rules_of(serial) == rules_of(forked) == []
    assert len(forked.suppressed) == 6


def test_the_language_server_shows_unused_suppressions(tmp_path: Path) -> None:
    from kpolicy.lsp.project import Buffer, Project
    from tests.lsp.support import uri

    (tmp_path / "web.yaml").write_text("")
    project = Project(tmp_path)
    project.load()
    text = deployment(
        host="  # kpolicy: ignore[host-namespaces]", image="  # kpolicy: ignore[imge-tag]"
    )
    buffer = Buffer(uri(tmp_path, "web.yaml"), 1, text)
    outcome = project.lint(buffer, {buffer.uri: buffer})
    published = [(d.code, d.range.start.line, d.range.start.character) for d in outcome.published]
    assert published == [(UNUSED, 14, 29)]


# -- suppressible: false ----------------------------------------------------------------------


def _project(tmp_path: Path, config: str, manifest: str) -> LintResult:
    (tmp_path / ".kpolicy.yaml").write_text(config)
    (tmp_path / "web.yaml").write_text(manifest)
    with chdir(tmp_path):
        return lint(LintOptions(paths=["web.yaml"], cwd=tmp_path))[0]


def test_a_rule_that_is_not_suppressible_ignores_comments_and_annotations(tmp_path: Path) -> None:
    config = "rules:\n  host-namespaces: {suppressible: false}\n"
    result = _project(tmp_path, config, deployment(host="  # kpolicy: ignore[host-namespaces]"))
    assert rules_of(result) == ["host-namespaces", UNUSED]
    assert result.diagnostics[1].message.endswith(
        "host-namespaces cannot be suppressed inline (the config sets suppressible: false)"
    )
    annotated = deployment().replace(
        "      labels: {app: web}\n",
        "      labels: {app: web}\n      annotations: {kpolicy.io/ignore: all}\n",
    )
    # `all` hides nothing then: it is unused
    assert rules_of(_project(tmp_path, config, annotated)) == [UNUSED, "host-namespaces"]
    # a config exemption is reviewed config: it still applies
    exempted = config + "exemptions:\n  - rules: [host-namespaces]\n    reason: CNI\n"
    result = _project(tmp_path, exempted, deployment())
    assert rules_of(result) == []
    assert [(d.rule, d.suppression) for d in result.suppressed] == [
        ("host-namespaces", result.suppressed[0].suppression)
    ]
    assert result.suppressed[0].suppression is not None
    assert result.suppressed[0].suppression.kind == "exemption"
    # the config schema knows the key
    assert "suppressible" in (ROOT / "schemas" / "config.schema.json").read_text()


# -- reasons: justification in JSON and SARIF ------------------------------------------------


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["lint", "--no-color", "--no-cache", *args], catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def justified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".kpolicy.yaml").write_text(
        "exemptions:\n  - rules: [selector-mismatch]\n    reason: migrating the labels\n"
    )
    (tmp_path / "web.yaml").write_text(
        deployment(host="  # kpolicy: ignore[host-namespaces] -- the CNI needs it").replace(
            "labels: {app: web}", "labels: {app: api}"
        )
    )
    return tmp_path


def test_json_carries_what_suppressed_and_why(justified: Path) -> None:
    code, out, _ = invoke("web.yaml", "-f", "json", "--show-suppressed")
    assert code == 0
    report = json.loads(out)
    jsonschema.validate(report, json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    assert [(d["rule"], d["suppressedBy"], d["justification"]) for d in report["suppressed"]] == [
        ("selector-mismatch", "exemption", "migrating the labels"),
        ("host-namespaces", "comment", "the CNI needs it"),
    ]
    code, out, _ = invoke("web.yaml", "--show-suppressed")
    assert "(Deployment web) [suppressed: the CNI needs it]" in out


def test_sarif_suppressions_carry_kind_and_justification(justified: Path) -> None:
    # by default suppressed results stay out of the log: GitHub code scanning does not honour
    # `suppressions` and would open an alert for each
    log = json.loads(invoke("web.yaml", "-f", "sarif")[1])
    assert log["runs"][0]["results"] == []
    log = json.loads(invoke("web.yaml", "-f", "sarif", "--show-suppressed")[1])
    jsonschema.validate(log, load_sarif_schema())
    assert [(r["ruleId"], r["suppressions"]) for r in log["runs"][0]["results"]] == [
        ("selector-mismatch", [{"kind": "external", "justification": "migrating the labels"}]),
        ("host-namespaces", [{"kind": "inSource", "justification": "the CNI needs it"}]),
    ]


def test_reasons_in_comments_are_parsed() -> None:
    from kpolicy.suppress import read_directives

    directives = read_directives(
        "a: 1  # kpolicy: ignore[x, y] -- needs it -- really\n"
        "# kpolicy: ignore -- all of them\n"
        "b: 2\n"
        "c: 3  # kpolicy: ignore[]\n"
    )
    assert [(d.line, d.target, d.ids, d.reason) for g in directives.values() for d in g] == [
        (1, 1, ("x", "y"), "needs it -- really"),
        (2, 3, ("all",), "all of them"),
        (4, 4, ("all",), None),
    ]


# -- exemptions with until --------------------------------------------------------------------


EXEMPT = (
    "exemptions:\n  - rules: [host-namespaces]\n    names: [web]\n"
    "    reason: CNI\n    until: {until}\n"
)


def test_an_exemption_stops_after_its_until_day(tmp_path: Path) -> None:
    (tmp_path / ".kpolicy.yaml").write_text(EXEMPT.format(until="2030-06-30"))
    (tmp_path / "web.yaml").write_text(deployment())
    with chdir(tmp_path):
        on_the_day = lint(
            LintOptions(paths=["web.yaml"], cwd=tmp_path, today=datetime.date(2030, 6, 30))
        )[0]
        after = lint(
            LintOptions(paths=["web.yaml"], cwd=tmp_path, today=datetime.date(2030, 7, 1))
        )[0]
    assert rules_of(on_the_day) == [] and on_the_day.warnings == ()
    assert rules_of(after) == ["host-namespaces"]
    assert after.warnings == (
        f"{tmp_path / '.kpolicy.yaml'}:5:5: exemption (rules host-namespaces; names web) "
        "expired on 2030-06-30 (reason: CNI); it no longer suppresses anything: remove it, or "
        "move until forward",
    )


def test_an_expired_exemption_is_a_warning_on_stderr_and_in_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(kpolicy.dates, "today", lambda: datetime.date(2031, 1, 1))
    (tmp_path / ".kpolicy.yaml").write_text(EXEMPT.format(until="2030-06-30"))
    (tmp_path / "web.yaml").write_text(deployment())
    code, out, err = invoke("web.yaml")
    assert code == 1 and "host-namespaces" in out
    assert err.startswith("kpolicy: warning: ") and "expired on 2030-06-30" in err
    report = json.loads(invoke("web.yaml", "-f", "json")[1])
    assert "expired on 2030-06-30" in report["warnings"][0]


def test_until_in_pyproject_is_a_toml_date(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.kpolicy]\n[[tool.kpolicy.exemptions]]\nrules = ['host-namespaces']\n"
        "until = 2030-06-30\n"
    )
    (tmp_path / "web.yaml").write_text(deployment())
    with chdir(tmp_path):
        result = lint(
            LintOptions(paths=["web.yaml"], cwd=tmp_path, today=datetime.date(2030, 1, 1))
        )[0]
    assert rules_of(result) == []


@pytest.mark.parametrize("value", ["2030-02-30", "tomorrow", "2030-6-30"])
def test_a_bad_until_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".kpolicy.yaml").write_text(EXEMPT.format(until=value))
    (tmp_path / "web.yaml").write_text(deployment())
    code, out, err = invoke("web.yaml")
    assert code == 2 and out == ""
    assert err.startswith(f"kpolicy: error: {tmp_path / '.kpolicy.yaml'}:5:")
    assert "until" in err and "Traceback" not in err


def test_a_replay_is_never_from_another_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    monkeypatch.setenv(cache_module.CACHE_ENV, str(tmp_path / "cache"))
    project = tmp_path / "p"
    project.mkdir()
    monkeypatch.chdir(project)
    (project / ".kpolicy.yaml").write_text(EXEMPT.format(until="2030-06-30"))
    (project / "web.yaml").write_text(deployment())
    past = time.time() - 60
    for path in project.iterdir():
        os.utime(path, (past, past))

    def run() -> tuple[int, str, str]:
        result = CliRunner().invoke(app, ["lint", "--no-color", "web.yaml"], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    monkeypatch.setattr(kpolicy.dates, "today", lambda: datetime.date(2030, 6, 30))
    assert run()[0] == 0
    assert run()[0] == 0
    assert list((tmp_path / "cache" / "results" / "lint").glob("*.json"))
    monkeypatch.setattr(kpolicy.dates, "today", lambda: datetime.date(2030, 7, 1))
    code, out, err = run()
    assert code == 1 and "host-namespaces" in out and "expired" in err


def test_directives_are_read_with_a_pyyaml_that_has_no_libyaml(tmp_path: Path) -> None:
    """A PyYAML without its libyaml (no ``yaml.CSafeLoader``) reads a file with directives,
    one of them only text inside a block scalar, to the report PyYAML with libyaml gives,
    not an internal error."""
    import os
    import subprocess
    import sys

    (tmp_path / "d.yaml").write_text(
        deployment(host="  # kpolicy: ignore[host-namespaces] CNI")
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\n"
        "data:\n  run.sh: |\n    # kpolicy: ignore[selector-mismatch]\n    echo hi\n"
    )
    code = (
        "import sys\n"
        "if sys.argv[1] == 'without':\n"
        "    sys.modules['yaml._yaml'] = None  # PyYAML's extension does not import\n"
        "    import yaml\n"
        "    assert not yaml.__with_libyaml__ and not hasattr(yaml, 'CSafeLoader')\n"
        "sys.argv = ['kpolicy', 'lint', '--format', 'json', '--no-cache', '-j', '1',"
        " '--fail-on', 'never', 'd.yaml']\n"
        "from kpolicy.entry import main\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reports = [
        subprocess.run(
            [sys.executable, "-c", code, case],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            check=True,
        ).stdout
        for case in ("with", "without")
    ]
    assert reports[0] == reports[1]
    report = json.loads(reports[0])
    # host-namespaces suppressed; the scalar's text is no directive (else unused-suppression)
    assert report["summary"]["suppressed"] == 1
    assert report["diagnostics"] == []


def test_an_objects_ignore_annotations_are_read_as_the_general_walk_reads_them() -> None:
    """``annotation_ignores`` reads ``metadata.annotations["kpolicy.io/ignore"]`` of the object
    and of its pod template in line (``_ignore_value``): what ``kpolicy.workload.get`` finds
    there, None where a step is missing, null or not a mapping (a mapping of another class
    too), for objects of every such shape."""
    from kpolicy import suppress
    from kpolicy.load import load_text
    from kpolicy.model import SourceFile
    from kpolicy.workload import get

    class Mapping(dict):  # type: ignore[type-arg]
        """A dict of another class: get walks it too."""

    where = ("metadata", "annotations", suppress.ANNOTATION)
    shapes: list[object] = [
        None,
        [],
        {},
        {"metadata": None},
        {"metadata": []},
        {"metadata": {"annotations": None}},
        {"metadata": {"annotations": "x"}},
        {"metadata": {"annotations": {}}},
        {"metadata": {"annotations": {suppress.ANNOTATION: "rule-a -- why"}}},
        {"metadata": {"annotations": {suppress.ANNOTATION: 3}}},
        Mapping(metadata=Mapping(annotations=Mapping({suppress.ANNOTATION: "rule-b"}))),
    ]
    for shape in shapes:
        assert suppress._ignore_value(shape) == get(shape, *where)
    assert where == suppress._WHERE
    text = (
        "apiVersion: apps/v1\nkind: Deployment\n"
        "metadata: {name: d, annotations: {kpolicy.io/ignore: 'rule-a -- why'}}\n"
        "spec: {template: {metadata: {annotations: {kpolicy.io/ignore: rule-b}},"
        " spec: {containers: [{name: c, image: i}]}}}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: null}\nspec: {}\n"
    )
    deployment, pod = load_text(SourceFile("d.yaml", text)).objects
    ignores = suppress.annotation_ignores(deployment)
    assert [(i.path, i.ids, i.reason) for i in ignores] == [
        (where, ("rule-a",), "why"),
        (("spec", "template", *where), ("rule-b",), None),
    ]
    assert suppress.annotation_ignores(pod) == ()
