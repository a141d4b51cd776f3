"""The command line as a user runs it: exit codes, formats, config, suppression, stdin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT
from tests.helpers import cli, run_process

BAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""
GOOD = BAD.replace("app: api", "app: web")


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``kpolicy ARGS`` in this process (``tests.helpers.cli``); ``test_exit_codes`` runs the
    installed command as a process (``run_process``)."""
    return cli(*args, cwd=cwd, stdin=stdin)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bad.yaml").write_text(BAD)
    (tmp_path / "good.yaml").write_text(GOOD)
    return tmp_path


def test_exit_codes(project: Path) -> None:
    assert run_process("lint", "good.yaml", cwd=project).returncode == 0
    bad = run_process("lint", "bad.yaml", cwd=project)
    assert bad.returncode == 1
    assert "bad.yaml:6:3: error[selector-mismatch]" in bad.stdout
    assert "Traceback" not in bad.stderr
    assert run_process("lint", "bad.yaml", "--fail-on", "never", cwd=project).returncode == 0
    missing = run_process("lint", "nope.yaml", "good.yaml", cwd=project)
    assert missing.returncode == 2
    assert "kpolicy: error: nope.yaml: no such file or directory" in missing.stderr
    assert run_process("lint", "--format", "xml", "good.yaml", cwd=project).returncode == 2
    assert (
        run_process("lint", "--kubernetes-version", "1.20", "good.yaml", cwd=project).returncode
        == 2
    )
    assert run_process("lint", "--select", "no-such-rule", "good.yaml", cwd=project).returncode == 2
    assert run_process("lint", "--bogus-flag", cwd=project).returncode == 2


def test_missing_option_paths_are_usage_errors(project: Path) -> None:
    """A --nodes, --policy, --config or --schema-dir that does not exist stops the run (exit
    2, one line naming it), whichever rules are selected; it is never silently ignored."""
    for option in ("--nodes", "--policy", "--config", "--schema-dir"):
        for extra in ((), ("--select", "selector-mismatch")):
            out = run("lint", *extra, option, "nope", "good.yaml", cwd=project)
            assert out.returncode == 2, (option, extra, out.stdout)
            assert out.stderr.startswith("kpolicy: error: nope"), (option, out.stderr)
            assert "Traceback" not in out.stderr


def test_unsupported_version_lists_supported(project: Path) -> None:
    out = run("lint", "--kubernetes-version", "1.20", "good.yaml", cwd=project)
    assert "supported: 1.29, 1.30" in out.stderr


def test_default_path_is_current_folder(project: Path) -> None:
    out = run("lint", cwd=project)
    assert out.returncode == 1
    assert "bad.yaml:6:3" in out.stdout
    assert "in 2 files" in out.stdout


def test_stdin_with_name(project: Path) -> None:
    out = run("lint", "-", "--stdin-filename", "k8s/web.yaml", cwd=project, stdin=BAD)
    assert out.returncode == 1
    assert out.stdout.startswith("k8s/web.yaml:6:3: error[selector-mismatch]")


def test_json_report_validates(project: Path) -> None:
    out = run("lint", "-f", "json", ".", cwd=project)
    report = json.loads(out.stdout)
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    jsonschema.validate(report, schema)
    diag = report["diagnostics"][0]
    assert diag["rule"] == "selector-mismatch"
    assert (diag["line"], diag["column"], diag["endLine"], diag["endColumn"]) == (6, 3, 6, 11)
    assert diag["path"] == "/spec/selector"
    assert diag["object"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": None,
        "name": "web",
    }
    assert report["kubernetesVersion"] == "1.37"
    assert report["summary"]["files"] == 2
    assert report["summary"]["errors"] == 1


def test_output_file(project: Path) -> None:
    out = run("lint", "-f", "json", "-o", "report.json", "bad.yaml", cwd=project)
    assert out.returncode == 1
    assert out.stdout == ""
    assert json.loads((project / "report.json").read_text())["summary"]["errors"] == 1


def test_several_reports_from_one_run(project: Path) -> None:
    """--report FORMAT=PATH writes each report of the same run; the terminal keeps --format
    (text by default), and each file equals that format's report on its own."""
    (project / "out").mkdir()
    out = run(
        "lint",
        "--no-cache",
        "--report",
        "sarif=out/kpolicy.sarif",
        "--report",
        "junit=kpolicy.xml",
        "--report=gitlab=cq.json",
        "bad.yaml",
        "good.yaml",
        cwd=project,
    )
    assert out.returncode == 1, out.stderr
    assert out.stdout.startswith("bad.yaml:6:3: error[selector-mismatch]")
    for fmt, name in (
        ("sarif", "out/kpolicy.sarif"),
        ("junit", "kpolicy.xml"),
        ("gitlab", "cq.json"),
    ):
        alone = run("lint", "--no-cache", "-f", fmt, "bad.yaml", "good.yaml", cwd=project)
        assert (project / name).read_text() == alone.stdout, fmt
    both = run(
        "lint",
        "--no-cache",
        "-f",
        "json",
        "-o",
        "r.json",
        "--report",
        "checkstyle=c.xml",
        "--color",
        "bad.yaml",
        cwd=project,
    )
    assert both.returncode == 1 and both.stdout == ""
    assert json.loads((project / "r.json").read_text())["summary"]["errors"] == 1
    assert "\033" not in (project / "c.xml").read_text()  # files never get colour


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("sarif", "--report expects FORMAT=PATH"),
        ("=kpolicy.sarif", "--report expects FORMAT=PATH"),
        ("sarif=", "--report expects FORMAT=PATH"),
        ("xml=report.xml", "--report: unknown format 'xml'; choose from text, json"),
        ("json=-", "--report writes a file"),
        ("json=r.json", "--report: r.json is also written by --output"),
        ("junit=./a.xml --report sarif=a.xml", "--report: a.xml is also written by --report"),
        ("json=missing/r.json", "missing/r.json: cannot write"),
    ],
)
def test_bad_report_values_are_usage_errors(project: Path, value: str, message: str) -> None:
    args = [part for item in value.split(" --report ") for part in ("--report", item)]
    out = run("lint", "--no-cache", "-o", "r.json", *args, "bad.yaml", cwd=project)
    assert out.returncode == 2, out.stdout
    assert out.stderr.startswith(f"kpolicy: error: {message}"), out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_a_report_link_planted_in_the_repository_is_not_followed(project: Path) -> None:
    """--report writes as --output does: never through a symbolic link at the target."""
    victim = project.parent / "victim.txt"
    victim.write_text("precious\n")
    (project / "kpolicy.sarif").symlink_to(victim)
    out = run("lint", "--report", "sarif=kpolicy.sarif", "bad.yaml", cwd=project)
    assert out.returncode == 2
    assert (
        out.stderr.strip()
        .splitlines()[-1]
        .startswith("kpolicy: error: kpolicy.sarif: is a symbolic link")
    )
    assert victim.read_text() == "precious\n"


def test_select_and_ignore(project: Path) -> None:
    assert run("lint", "--ignore", "selector-mismatch", "bad.yaml", cwd=project).returncode == 0
    assert run("lint", "--select", "selector-missing", "bad.yaml", cwd=project).returncode == 0
    assert (
        run(
            "lint", "--select", "selector-missing,selector-mismatch", "bad.yaml", cwd=project
        ).returncode
        == 1
    )


def test_fail_on_levels(project: Path) -> None:
    untagged = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n"
        "    - name: a\n      image: nginx:latest\n      imagePullPolicy: Always\n"
    )
    (project / "latest.yaml").write_text(untagged)
    assert run("lint", "latest.yaml", cwd=project).returncode == 1  # warning fails by default
    assert run("lint", "latest.yaml", "--fail-on", "error", cwd=project).returncode == 0


def test_config_discovery_upward(project: Path) -> None:
    (project / ".kpolicy.yaml").write_text("rules:\n  selector-mismatch: off\n")
    sub = project / "sub"
    sub.mkdir()
    (sub / "bad.yaml").write_text(BAD)
    assert run("lint", "bad.yaml", cwd=sub).returncode == 0


def test_config_severity_and_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.kpolicy.rules]\nselector-mismatch = "info"\n')
    out = run("lint", "bad.yaml", cwd=project)
    assert "info[selector-mismatch]" in out.stdout
    assert out.returncode == 0  # info is below the default --fail-on warning


def test_invalid_config_names_key_and_line(project: Path) -> None:
    (project / ".kpolicy.yaml").write_text("rules:\n  selector-mismatch: loud\nexclude: []\n")
    out = run("lint", "bad.yaml", cwd=project)
    assert out.returncode == 2
    assert ".kpolicy.yaml:2:" in out.stderr
    (project / ".kpolicy.yaml").write_text("exclude: []\nrulez:\n  x: off\n")
    out = run("lint", "bad.yaml", cwd=project)
    assert out.returncode == 2
    assert ".kpolicy.yaml:2:1: invalid config: unknown key 'rulez'" in out.stderr
    (project / ".kpolicy.yaml").write_text("rules:\n  selector-mismatsh: off\n")
    out = run("lint", "bad.yaml", cwd=project)
    assert "unknown rule 'selector-mismatsh'; did you mean 'selector-mismatch'?" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_feature_gates_and_rule_ids_are_usage_errors(project: Path) -> None:
    from kpolicy.features import GATE_DEFAULTS

    for command in ("lint", "plan"):
        out = run(
            command, "--feature-gates", "MaxUnavailableStatefulSets=true", "bad.yaml", cwd=project
        )
        assert out.returncode == 2, out.stdout
        assert (
            "kpolicy: error: --feature-gates: unknown feature gate "
            "'MaxUnavailableStatefulSets'; did you mean 'MaxUnavailableStatefulSet'?" in out.stderr
        )
        assert all(gate in out.stderr for gate in GATE_DEFAULTS)  # the known ones listed
    (project / ".kpolicy.yaml").write_text(
        "failOn: error\nfeatureGates:\n"
        "  StatefulSetStartOrdinal: true\n"
        "  statefulsetstartordinal: false\n"
    )
    out = run("lint", "bad.yaml", cwd=project)
    assert out.returncode == 2
    assert (
        ".kpolicy.yaml:4:3: invalid config: featureGates: unknown feature gate "
        "'statefulsetstartordinal'; did you mean 'StatefulSetStartOrdinal'?"
    ) in out.stderr
    (project / ".kpolicy.yaml").unlink()
    for option in ("--select", "--ignore"):
        out = run("lint", option, "selector-mismatsh", "bad.yaml", cwd=project)
        assert out.returncode == 2
        assert (
            f"unknown rule 'selector-mismatsh' in {option}; did you mean 'selector-mismatch'?"
        ) in out.stderr


def test_unsupported_kubernetes_version_in_the_config_names_file_and_line(project: Path) -> None:
    from kpolicy.versions import SUPPORTED_VERSIONS

    supported = f"supported: {SUPPORTED_VERSIONS[0]} to {SUPPORTED_VERSIONS[-1]}"
    (project / ".kpolicy.yaml").write_text("failOn: error\nkubernetesVersion: '1.20'\n")
    for command in ("lint", "plan"):
        out = run(command, "bad.yaml", cwd=project)
        assert out.returncode == 2
        assert (
            ".kpolicy.yaml:2:20: invalid config: unsupported kubernetesVersion '1.20'; " + supported
        ) in out.stderr
    (project / ".kpolicy.yaml").unlink()
    (project / "pyproject.toml").write_text('[tool.kpolicy]\nkubernetesVersion = "1.99"\n')
    out = run("lint", "bad.yaml", cwd=project)
    assert "pyproject.toml:2:21: invalid config: unsupported kubernetesVersion '1.99'" in out.stderr


def test_explicit_config_and_exclude(project: Path) -> None:
    (project / "cfg.yaml").write_text("exclude: ['bad.yaml']\n")
    assert run("lint", "--config", "cfg.yaml", ".", cwd=project).returncode == 0
    assert run("lint", "--config", "missing.yaml", ".", cwd=project).returncode == 2


def test_exemptions(project: Path) -> None:
    (project / ".kpolicy.yaml").write_text(
        "exemptions:\n  - rules: [selector-mismatch]\n    names: ['we*']\n    kinds: [Deployment]\n"
    )
    out = run("lint", "bad.yaml", "--show-suppressed", cwd=project)
    assert out.returncode == 0
    assert "[suppressed]" in out.stdout
    assert "1 suppressed" in out.stdout


def test_comment_and_annotation_suppression(project: Path) -> None:
    trailing = BAD.replace("  selector:\n", "  selector:  # kpolicy: ignore[selector-mismatch]\n")
    (project / "a.yaml").write_text(trailing)
    above = BAD.replace("  selector:\n", "  # kpolicy: ignore[selector-mismatch]\n  selector:\n")
    (project / "b.yaml").write_text(above)
    wrong_rule = BAD.replace("  selector:\n", "  selector:  # kpolicy: ignore[selector-missing]\n")
    (project / "c.yaml").write_text(wrong_rule)
    annotated = BAD.replace(
        "  name: web\n", "  name: web\n  annotations:\n    kpolicy.io/ignore: selector-mismatch\n"
    )
    (project / "d.yaml").write_text(annotated)
    on_template = BAD.replace(
        "      labels: {app: api}\n",
        "      labels: {app: api}\n      annotations: {kpolicy.io/ignore: all}\n",
    )
    (project / "e.yaml").write_text(on_template)
    for name in ("a.yaml", "b.yaml", "d.yaml", "e.yaml"):
        out = run("lint", "-f", "json", name, cwd=project)
        assert out.returncode == 0, (name, out.stdout)
        assert json.loads(out.stdout)["summary"]["suppressed"] == 1
    assert run("lint", "c.yaml", cwd=project).returncode == 1


def test_context_is_indexed_not_reported(project: Path) -> None:
    ctx = project / "ctx"
    ctx.mkdir()
    (ctx / "other.yaml").write_text(BAD)
    out = run("lint", "-f", "json", "good.yaml", "--context", "ctx", cwd=project)
    report = json.loads(out.stdout)
    assert report["diagnostics"] == []
    assert report["summary"]["files"] == 1


def test_context_file_that_is_an_input_is_read_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same file as an input and (through a link, under another name) in the context is
    one file: read once, with no second copy of its objects in the index."""
    import kpolicy.lint as lint_module
    import kpolicy.lint.run as lint_run

    ctx = project / "ctx"
    ctx.mkdir()
    (ctx / "alias.yaml").symlink_to(project / "bad.yaml")
    (ctx / "other.yaml").write_text(GOOD.replace("name: web", "name: other"))
    read: list[str] = []
    real = lint_run.read_input

    def recording(item: Any, *args: Any, **kwargs: Any) -> Any:
        read.append(item.display)
        return real(item, *args, **kwargs)

    monkeypatch.setattr(lint_run, "read_input", recording)
    monkeypatch.chdir(project)
    result, _ = lint_module.lint(
        lint_module.LintOptions(paths=["bad.yaml"], context=["ctx"], jobs=1)
    )
    assert sorted(read) == ["bad.yaml", "ctx/other.yaml"]
    assert result.summary.files == 1


def test_github_format(project: Path) -> None:
    out = run("lint", "-f", "github", "bad.yaml", cwd=project)
    assert out.stdout.startswith(
        "::error file=bad.yaml,line=6,col=3,endLine=6,endColumn=11,title=selector-mismatch::"
    )


def test_rules_command() -> None:
    listing = run("rules", cwd=ROOT)
    assert listing.returncode == 0
    assert "selector-mismatch" in listing.stdout
    one = run("rules", "selector-mismatch", cwd=ROOT)
    assert "Why it matters" in one.stdout and "Bad:" in one.stdout and "Good:" in one.stdout
    as_json = json.loads(run("rules", "--format", "json", cwd=ROOT).stdout)
    assert {r["id"] for r in as_json} >= {"selector-missing", "yaml-syntax"}
    md = run("rules", "selector-missing", "--format", "markdown", cwd=ROOT)
    assert md.stdout.startswith("## selector-missing")
    assert run("rules", "nope", cwd=ROOT).returncode == 2


def test_version() -> None:
    from kpolicy import __version__

    out = run("--version", cwd=ROOT)
    assert out.stdout.strip() == f"kpolicy {__version__}"


def test_folder_recursion_and_suffixes(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.yml").write_text(BAD)
    (tmp_path / "a" / "y.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    )
    (tmp_path / "a" / "notes.txt").write_text("not: yaml: at all")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "z.yaml").write_text(BAD)
    out = run("lint", "-f", "json", "a", cwd=tmp_path)
    report = json.loads(out.stdout)
    assert report["summary"]["files"] == 2
    assert [d["file"] for d in report["diagnostics"]] == ["a/b/x.yml"]


def test_bare_ignore_directive_covers_every_rule(project: Path) -> None:
    bare = BAD.replace("  selector:\n", "  selector:  # kpolicy: ignore\n")
    (project / "bare.yaml").write_text(bare)
    out = run("lint", "-f", "json", "bare.yaml", cwd=project)
    assert out.returncode == 0
    assert json.loads(out.stdout)["summary"]["suppressed"] == 1


def test_colour_on_request_only(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    plain = run("lint", "bad.yaml", cwd=project)  # stdout is a pipe: no colour
    assert "\033[" not in plain.stdout
    coloured = run("lint", "--color", "bad.yaml", cwd=project)
    assert "\033[31merror[selector-mismatch]" in coloured.stdout


@pytest.mark.parametrize(
    ("environment", "flag", "coloured"),
    [
        ({"FORCE_COLOR": "1"}, None, True),  # force-color.org: colour into a pipe
        ({"FORCE_COLOR": ""}, None, False),  # set but empty: as if unset
        ({"NO_COLOR": "1"}, "--color", True),  # the command line overrides the environment
        ({"FORCE_COLOR": "1"}, "--no-color", False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, None, False),  # no-color.org wins
    ],
)
def test_no_color_and_force_color(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    flag: str | None,
    coloured: bool,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    out = run("lint", *([flag] if flag else []), "bad.yaml", cwd=project)
    assert ("\033[31merror[selector-mismatch]" in out.stdout) is coloured
    assert ("\033[" in out.stdout) is coloured


def test_the_cache_replays_no_colour_after_forced_colour(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same command line, once with FORCE_COLOR and once with NO_COLOR: two answers
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\033[" in run("lint", "bad.yaml", cwd=project).stdout
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("NO_COLOR", "1")
    for _ in range(2):  # recorded, then replayed
        assert "\033[" not in run("lint", "bad.yaml", cwd=project).stdout


def test_rules_escapes_a_policys_texts(tmp_path: Path) -> None:
    policy = (ROOT / "examples" / "policies" / "images-from-registry.yaml").read_text()
    policy = policy.replace(
        "title: Images come from the company registry", 'title: "Images \\e[31mred\\r\\u202e"', 1
    )
    (tmp_path / "p.yaml").write_text(policy.replace("id: images-from-registry", "id: p", 1))
    for args in (["rules", "--policy", "p.yaml"], ["rules", "p", "--policy", "p.yaml"]):
        out = run(*args, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert "Images \\x1b[31mred\\x0d\\u202e" in out.stdout
        assert "\x1b" not in out.stdout and "\r" not in out.stdout


def test_a_report_to_stdout_that_no_cache_records_is_not_kept(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Unrecorded, the report goes to stdout as it is written (a second copy of a large run's
    report was its peak of memory), small pieces a batch at a time; recorded or for a file, it
    is kept and joined once."""
    from kpolicy.lintcmd import _Pieces

    through = _Pieces(through=True)
    through.write("first ")
    assert capsys.readouterr().out == ""  # waits for more, or for the end
    through.write("x" * ((1 << 20) * 2 + 5))
    assert capsys.readouterr().out == "first " + "x" * ((1 << 20) * 2 + 5)  # at once, in order
    through.write("last")
    through.to_stdout()
    assert capsys.readouterr().out == "last"
    with pytest.raises(AssertionError):
        through.getvalue()
    kept = _Pieces()
    kept.write("a")
    kept.write("b")
    assert capsys.readouterr().out == ""
    assert kept.getvalue() == "ab" and kept.getvalue() == "ab"
    kept.to_stdout()
    assert capsys.readouterr().out == "ab"


class _Writes:
    """A stdout that records each write."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)


@pytest.mark.parametrize("through", [True, False])
def test_a_report_goes_to_stdout_in_few_writes_of_bounded_size(
    monkeypatch: pytest.MonkeyPatch, through: bool
) -> None:
    """Small pieces (a text report's lines, a JSON report's punctuation) go to stdout a batch
    at a time, not a write each (a system call each on an unbuffered stream: PYTHONUNBUFFERED);
    a large piece goes as it is, and a very large one in slices of a batch (each slice and its
    bytes reuse the memory of the one before). The text is the same, in order."""
    import sys

    from kpolicy.lintcmd import _Pieces

    out = _Writes()
    monkeypatch.setattr(sys, "stdout", out)
    batch = _Pieces.BATCH
    pieces = [f"line {n}\n" for n in range(20_000)]
    pieces[5_000] = "L" * batch  # large: alone
    pieces[9_000] = "H" * (5 * batch + 3)  # huge: in slices
    report = _Pieces(through=through)
    for piece in pieces:
        report.write(piece)
    report.flush()
    report.to_stdout()
    assert "".join(out.writes) == "".join(pieces)
    assert len(out.writes) < sum(map(len, pieces)) // batch + 8
    assert max(map(len, out.writes)) < 2 * batch
    assert "L" * batch in out.writes
