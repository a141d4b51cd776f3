"""The results cache: a second run on unchanged inputs replays the first; any change misses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kpolicy.cache as cache_module
from kpolicy.cache import PROJECT_CACHE_NAME, RunCache, replay_command_line, write_atomic
from kpolicy.cli import app
from tests.conftest import ROOT
from tests.test_cli import BAD

DEPLOYMENT = BAD  # a Deployment whose selector does not match its template
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - port: 80
      targetPort: http
"""
MARKER = "REPLAYED FROM THE CACHE\n"


def age(*paths: Path) -> None:
    """Date files a minute back: a file written within the last seconds is not cached."""
    past = time.time() - 60
    for path in paths:
        for file in [path, *path.rglob("*")] if path.is_dir() else [path]:
            os.utime(file, (past, past))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(cache_module.CACHE_ENV, raising=False)
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "deployment.yaml").write_text(DEPLOYMENT)
    (manifests / "service.yaml").write_text(SERVICE)
    age(manifests)
    return tmp_path


def lint(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["lint", "--no-color", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def entries(project: Path) -> list[Path]:
    return sorted((project / PROJECT_CACHE_NAME / "lint").glob("*.json"))


def tamper(project: Path) -> None:
    """Replace the recorded report of every entry: a replay then shows the marker."""
    for path in entries(project):
        entry = json.loads(path.read_text())
        entry["outputs"]["report"] = MARKER
        path.write_text(json.dumps(entry))


def test_second_run_is_replayed_identically(project: Path) -> None:
    for fmt in ("text", "json", "sarif"):
        first = lint("-f", fmt, "manifests")
        assert first[0] == 1 and first[1]
        second = lint("-f", fmt, "manifests")
        assert second == first
    assert len(entries(project)) == 3
    assert (project / PROJECT_CACHE_NAME / ".gitignore").read_text().strip().endswith("*")
    tamper(project)
    assert lint("-f", "json", "manifests")[1] == MARKER  # it was a replay


def test_changed_input_misses(project: Path) -> None:
    lint("-f", "json", "manifests")
    tamper(project)
    deployment = project / "manifests" / "deployment.yaml"
    deployment.write_text(DEPLOYMENT.replace("app: api", "app: web"))
    age(deployment)
    _, out, _ = lint("-f", "json", "manifests")
    assert out != MARKER
    assert "selector-mismatch" not in out and json.loads(out)["summary"]["files"] == 2


def test_same_size_same_mtime_edit_misses(project: Path) -> None:
    """Content decides, not stat(): an edit that keeps size and mtime is still seen."""
    lint("-f", "json", "manifests")
    tamper(project)
    deployment = project / "manifests" / "deployment.yaml"
    status = deployment.stat()
    deployment.write_text(DEPLOYMENT.replace("app: api", "app: apx"))
    os.utime(deployment, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert lint("-f", "json", "manifests")[1] != MARKER


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every byte string the cache hashes from now on."""
    seen: list[bytes] = []
    real_digest = cache_module.digest

    def counting(data: bytes) -> str:
        seen.append(data)
        return real_digest(data)

    monkeypatch.setattr(cache_module, "digest", counting)
    return seen


def test_unchanged_files_are_not_read_again(project: Path, hashed: list[bytes]) -> None:
    """A replay trusts an input whose size, times, inode and device are all as recorded (git's
    index does the same) and hashes only the files whose signature changed."""
    lint("-f", "json", "manifests")
    tamper(project)
    hashed.clear()
    assert lint("-f", "json", "manifests")[1] == MARKER
    assert DEPLOYMENT.encode() not in hashed and SERVICE.encode() not in hashed
    service = project / "manifests" / "service.yaml"
    service.write_text(SERVICE)  # same bytes, new signature: hashed, and still a replay
    age(service)
    hashed.clear()
    assert lint("-f", "json", "manifests")[1] == MARKER
    assert SERVICE.encode() in hashed and DEPLOYMENT.encode() not in hashed


def test_a_recorded_run_hashes_each_input_once(project: Path, hashed: list[bytes]) -> None:
    """The state taken after the run, to see that nothing changed meanwhile, checks each input's
    signature instead of hashing it a second time."""
    lint("-f", "json", "manifests")
    assert entries(project)  # recorded
    assert hashed.count(DEPLOYMENT.encode()) == 1 and hashed.count(SERVICE.encode()) == 1


def test_new_or_removed_file_misses(project: Path) -> None:
    lint("-f", "json", "manifests")
    tamper(project)
    extra = project / "manifests" / "extra.yaml"
    extra.write_text(SERVICE.replace("name: web", "name: other"))
    age(extra, project / "manifests")
    out = lint("-f", "json", "manifests")[1]
    assert out != MARKER and json.loads(out)["summary"]["files"] == 3
    lint("-f", "json", "manifests")
    tamper(project)
    extra.unlink()
    out = lint("-f", "json", "manifests")[1]
    assert out != MARKER and json.loads(out)["summary"]["files"] == 2


def test_changed_options_miss(project: Path) -> None:
    lint("-f", "json", "manifests")
    tamper(project)
    for args in (
        ("--select", "selector-mismatch"),
        ("--ignore", "selector-mismatch"),
        ("--kubernetes-version", "1.33"),
        ("--cluster-domain", "example.org"),
        ("--feature-gates", "MaxUnavailableStatefulSet=true"),
        ("--fail-on", "error"),
        ("--show-suppressed",),
        ("--max-file-size", "100000"),
    ):
        assert lint("-f", "json", *args, "manifests")[1] != MARKER, args
    assert lint("-f", "text", "manifests")[1] != MARKER


def test_config_is_part_of_the_key(project: Path) -> None:
    lint("-f", "json", "manifests")
    tamper(project)
    config = project / ".kpolicy.yaml"
    config.write_text("rules:\n  selector-mismatch: {severity: warning}\n")
    age(config)
    out = lint("-f", "json", "manifests")[1]
    assert out != MARKER
    assert {d["severity"] for d in json.loads(out)["diagnostics"]
            if d["rule"] == "selector-mismatch"} == {"warning"}
    lint("-f", "json", "manifests")
    tamper(project)
    config.write_text("rules:\n  selector-mismatch: {severity: info}\n")
    age(config)
    assert lint("-f", "json", "manifests")[1] != MARKER
    lint("-f", "json", "manifests")
    tamper(project)
    config.unlink()
    assert lint("-f", "json", "manifests")[1] != MARKER


def test_context_nodes_policies_and_schema_dir_are_inputs(project: Path) -> None:
    context = project / "context"
    context.mkdir()
    (context / "svc.yaml").write_text(SERVICE.replace("name: web", "name: ctx"))
    nodes = project / "nodes.yaml"
    nodes.write_text("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n")
    schemas = project / "schemas"
    schemas.mkdir()
    (schemas / "widget_v1.json").write_text('{"type": "object"}')
    age(context, nodes, schemas)
    args = ("-f", "json", "--context", "context", "--nodes", "nodes.yaml",
            "--schema-dir", "schemas", "manifests")
    first = lint(*args)
    assert lint(*args) == first
    for changed in (context / "svc.yaml", nodes, schemas / "widget_v1.json"):
        tamper(project)
        changed.write_text(changed.read_text() + "\n# changed\n")
        age(changed)
        assert lint(*args)[1] != MARKER, changed
        lint(*args)


def test_no_cache_neither_reads_nor_writes(project: Path) -> None:
    first = lint("--no-cache", "-f", "json", "manifests")
    assert not (project / PROJECT_CACHE_NAME).exists()
    lint("-f", "json", "manifests")
    tamper(project)
    assert lint("--no-cache", "-f", "json", "manifests") == first
    assert lint("-f", "json", "manifests")[1] == MARKER


def test_recently_modified_files_are_not_recorded(project: Path) -> None:
    (project / "manifests" / "deployment.yaml").write_text(DEPLOYMENT)  # now: racy
    lint("-f", "json", "manifests")
    assert entries(project) == []


def test_failed_runs_stdin_and_debug_are_not_recorded(project: Path) -> None:
    lint("-f", "json", "manifests", "missing.yaml")  # exit 2: an I/O error
    lint("-f", "json", "--debug", "manifests")
    CliRunner().invoke(app, ["lint", "-f", "json", "-"], input=DEPLOYMENT)
    assert entries(project) == []


def test_output_file_is_written_again(project: Path) -> None:
    first = lint("-f", "json", "-o", "report.json", "manifests")
    report = (project / "report.json").read_text()
    (project / "report.json").unlink()
    assert lint("-f", "json", "-o", "report.json", "manifests") == first
    assert (project / "report.json").read_text() == report


def test_report_files_are_written_again_to_this_command_lines_paths(project: Path) -> None:
    """A replay writes the --report files of the command line being run: the texts the
    recorded run wrote, to the paths given now (an entry holds no path to write to)."""
    args = ("--report", "sarif=a.sarif", "--report", "junit=a.xml", "manifests")
    first = lint(*args)
    assert first[0] == 1 and first[1].startswith("manifests/deployment.yaml:")
    sarif, junit = (project / "a.sarif").read_text(), (project / "a.xml").read_text()
    (project / "a.sarif").unlink()
    (project / "a.xml").unlink()
    (entry,) = entries(project)
    recorded = entry.read_text()
    assert "a.sarif" not in recorded and "a.xml" not in recorded
    tamper(project)  # a replay shows the marker on the terminal
    again = lint(*args)
    assert again == (first[0], MARKER, first[2])
    assert (project / "a.sarif").read_text() == sarif
    assert (project / "a.xml").read_text() == junit
    # other paths, same formats: the same entry, written where this command line says
    elsewhere = lint("--report", "sarif=b.sarif", "--report", "junit=b.xml", "manifests")
    assert elsewhere[1] == MARKER
    assert (project / "b.sarif").read_text() == sarif
    assert (project / "b.xml").read_text() == junit
    assert len(entries(project)) == 1
    # other formats, or the same in another order: another entry
    assert lint("--report", "junit=a.xml", "--report", "sarif=a.sarif", "manifests")[1] != MARKER
    assert lint("--report", "gitlab=a.json", "manifests")[1] != MARKER
    assert lint("manifests")[1] != MARKER


def test_recorded_reports_must_match_the_command_line(project: Path) -> None:
    """An entry whose recorded reports are not this command line's formats is not replayed
    (a planted or damaged entry), and a report path that cannot be written is left to the real
    run, which says why."""
    lint("--report", "sarif=a.sarif", "manifests")
    for path in entries(project):
        entry = json.loads(path.read_text())
        entry["outputs"]["report"] = MARKER
        entry["outputs"]["reports"] = [["json", "{}"]]
        path.write_text(json.dumps(entry))
    assert lint("--report", "sarif=a.sarif", "manifests")[1] != MARKER
    assert "$schema" in (project / "a.sarif").read_text()
    code, _, err = lint("--report", "sarif=missing/a.sarif", "manifests")
    assert code == 2 and "missing/a.sarif: cannot write" in err


def test_code_change_misses(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lint("-f", "json", "manifests")
    tamper(project)
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another kpolicy")
    assert lint("-f", "json", "manifests")[1] != MARKER


def test_damaged_entries_are_ignored(project: Path) -> None:
    first = lint("-f", "json", "manifests")
    for path in entries(project):
        path.write_bytes(b"\x80\x04not json at all")
    assert lint("-f", "json", "manifests") == first


def test_cache_dir_override(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv(cache_module.CACHE_ENV, str(elsewhere))
    lint("-f", "json", "manifests")
    assert not (project / PROJECT_CACHE_NAME).exists()
    assert list((elsewhere / "results" / "lint").glob("*.json"))


def test_atomic_write_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "entry.json"
    assert write_atomic(target, b"one")
    assert write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["entry.json"]  # no temporary left
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert not write_atomic(blocked / "entry.json", b"x")  # a file where a folder should be


def test_fingerprint_is_json_stable(project: Path) -> None:
    cache = RunCache.for_command({"paths": ["manifests"]}, project)
    spec = {"paths": ["manifests"], "context": [], "stdin_name": "<stdin>", "exclude": [],
            "config": None, "policies": [], "nodes": None, "schema_dir": []}
    state = cache.fingerprint(spec)
    assert json.loads(json.dumps(state)) == state


# -- whole processes -------------------------------------------------------------------------


def run(*args: str, cwd: Path, entry: str = "cli") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != cache_module.CACHE_ENV}
    if entry == "hook":  # the entry point with the replay before typer is imported
        code = ("import sys; from kpolicy.cache import replay_command_line as r; "
                "c = r(sys.argv[1:]); "
                "sys.exit(c) if c is not None else None; "
                "from kpolicy.cli import main; main()")
        command = [sys.executable, "-c", code, *args]
    else:
        command = [sys.executable, "-m", "kpolicy", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**env, "PYTHONPATH": str(ROOT)})


def test_concurrent_runs_do_not_corrupt_the_cache(project: Path) -> None:
    """Two processes record the same entry at once; both print a whole report, and the entry
    left behind replays."""
    for index in range(12):
        copy = project / "manifests" / f"copy{index}.yaml"
        copy.write_text(DEPLOYMENT.replace("name: web", f"name: web{index}") * 3)
    age(project / "manifests")
    args = ("lint", "--no-color", "-f", "json", "manifests")
    expected = run("lint", "--no-cache", "--no-color", "-f", "json", "manifests", cwd=project)
    for _ in range(2):
        env = {k: v for k, v in os.environ.items() if k != cache_module.CACHE_ENV}
        processes = [
            subprocess.Popen([sys.executable, "-m", "kpolicy", *args], cwd=project, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        for process in processes:
            out, err = process.communicate(timeout=300)
            assert (process.returncode, out, err) == (
                expected.returncode, expected.stdout, expected.stderr
            )
    for path in entries(project):
        json.loads(path.read_text())
    assert not [p for p in (project / PROJECT_CACHE_NAME).rglob("*") if ".tmp-" in p.name]
    again = run(*args, cwd=project)
    assert (again.returncode, again.stdout) == (expected.returncode, expected.stdout)


def test_replay_before_the_cli_is_imported(project: Path) -> None:
    args = ("lint", "--no-color", "-f", "json", "manifests")
    first = run(*args, cwd=project, entry="hook")
    assert list((project / PROJECT_CACHE_NAME / "argv").glob("*.json"))
    tamper(project)
    second = run(*args, cwd=project, entry="hook")
    assert (second.returncode, second.stdout) == (first.returncode, MARKER)
    other = run("lint", "--no-color", "-f", "text", "manifests", cwd=project, entry="hook")
    assert other.stdout != MARKER


def test_replay_command_line_declines_what_it_cannot_replay(project: Path) -> None:
    assert replay_command_line(["rules"], project) is None
    assert replay_command_line(["lint", "-"], project) is None
    assert replay_command_line(["lint", "--no-cache", "manifests"], project) is None
    assert replay_command_line(["lint", "manifests"], project) is None  # nothing recorded


def test_command_lines_with_report_files_are_replayed_by_the_cli(project: Path) -> None:
    """Only the parsed command line knows the --report paths: the raw command line is neither
    looked up nor recorded, and the CLI replays the run."""
    for option in (["--report", "sarif=a.sarif"], ["--report=sarif=a.sarif"]):
        args = ("lint", "--no-color", *option, "manifests")
        first = run(*args, cwd=project, entry="hook")
        assert first.returncode == 1 and (project / "a.sarif").is_file()
        assert not (project / PROJECT_CACHE_NAME / "argv").exists()
        assert replay_command_line(list(args), project) is None
        tamper(project)
        (project / "a.sarif").unlink()
        second = run(*args, cwd=project, entry="hook")
        assert (second.returncode, second.stdout) == (1, MARKER)
        assert (project / "a.sarif").read_text().startswith('{\n  "$schema"')
