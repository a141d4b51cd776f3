"""The results cache: a second run on unchanged inputs replays the first; any change misses.

The attacks on the cache (planted entries, replayed outputs, pruning outside it, a cache
folder inside the repository) are in ``tests/test_security.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import kpolicy.cache as cache_module
from kpolicy.cache import (
    REPORT_PURPOSE,
    REPORT_SUFFIX,
    RUN_PURPOSE,
    RunCache,
    open_cache,
    replay_command_line,
)
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
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache_module.CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def project(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    manifests = root / "manifests"
    manifests.mkdir(parents=True)
    monkeypatch.chdir(root)
    (manifests / "deployment.yaml").write_text(DEPLOYMENT)
    (manifests / "service.yaml").write_text(SERVICE)
    age(manifests)
    return root


def lint(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["lint", "--no-color", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "results" / "lint").glob("*.json"))


def rewrite(cache_dir: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change every entry as kpolicy itself would write it (with a valid MAC)."""
    folder = open_cache()
    assert folder is not None and folder.root == str(cache_dir)
    for path in entries(cache_dir):
        payload = folder.read("results/lint", path.name, RUN_PURPOSE)
        assert payload is not None, path
        entry = json.loads(payload)
        change(entry)
        report = entry["outputs"].pop("report", None)
        if report is not None:  # kept in a file of its own, which the entry names by its MAC
            mac = folder.write_mac(
                "results/lint", report_of(path).name, REPORT_PURPOSE, report.encode()
            )
            assert mac is not None
            entry["outputs"]["report_mac"] = mac
        assert folder.write("results/lint", path.name, RUN_PURPOSE, json.dumps(entry).encode())


def report_of(entry: Path) -> Path:
    """The file that holds the report of an entry."""
    return entry.with_suffix(REPORT_SUFFIX)


def tamper(cache_dir: Path) -> None:
    """Replace the recorded report of every entry (validly): a replay then shows the marker."""
    rewrite(cache_dir, lambda entry: entry["outputs"].update(report=MARKER))


def test_second_run_is_replayed_identically(project: Path, cache_dir: Path) -> None:
    for fmt in ("text", "json", "sarif"):
        first = lint("-f", fmt, "manifests")
        assert first[0] == 1 and first[1]
        second = lint("-f", fmt, "manifests")
        assert second == first
    assert len(entries(cache_dir)) == 3
    assert not (project / ".kpolicy_cache").exists()  # nothing in the working folder
    assert (cache_dir / "secret").stat().st_mode & 0o777 == 0o600
    tamper(cache_dir)
    assert lint("-f", "json", "manifests")[1] == MARKER  # it was a replay


def test_changed_input_misses(project: Path, cache_dir: Path) -> None:
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    deployment = project / "manifests" / "deployment.yaml"
    deployment.write_text(DEPLOYMENT.replace("app: api", "app: web"))
    age(deployment)
    _, out, _ = lint("-f", "json", "manifests")
    assert out != MARKER
    assert "selector-mismatch" not in out and json.loads(out)["summary"]["files"] == 2


def test_same_size_same_mtime_edit_misses(project: Path, cache_dir: Path) -> None:
    """Content decides, not stat(): an edit that keeps size and mtime is still seen."""
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    deployment = project / "manifests" / "deployment.yaml"
    status = deployment.stat()
    deployment.write_text(DEPLOYMENT.replace("app: api", "app: apx"))
    os.utime(deployment, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert lint("-f", "json", "manifests")[1] != MARKER


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The contents of every file the cache hashes from now on."""
    seen: list[bytes] = []
    real_hash = cache_module.hash_stream

    def counting(path: str, handle: Any, limit: int) -> str | None:
        seen.append(Path(path).read_bytes())
        return real_hash(path, handle, limit)

    monkeypatch.setattr(cache_module, "hash_stream", counting)
    return seen


def test_unchanged_files_are_not_read_again(
    project: Path, hashed: list[bytes], cache_dir: Path
) -> None:
    """A replay trusts an input whose size, times, inode and device are all as recorded (git's
    index does the same) and hashes only the files whose signature changed."""
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    hashed.clear()
    assert lint("-f", "json", "manifests")[1] == MARKER
    assert DEPLOYMENT.encode() not in hashed and SERVICE.encode() not in hashed
    service = project / "manifests" / "service.yaml"
    service.write_text(SERVICE)  # same bytes, new signature: hashed, and still a replay
    age(service)
    hashed.clear()
    assert lint("-f", "json", "manifests")[1] == MARKER
    assert SERVICE.encode() in hashed and DEPLOYMENT.encode() not in hashed


def test_a_recorded_run_hashes_each_input_once(
    project: Path, hashed: list[bytes], cache_dir: Path
) -> None:
    """The state taken after the run, to see that nothing changed meanwhile, checks each input's
    signature instead of hashing it a second time."""
    lint("-f", "json", "manifests")
    assert entries(cache_dir)  # recorded
    assert hashed.count(DEPLOYMENT.encode()) == 1 and hashed.count(SERVICE.encode()) == 1


def test_new_or_removed_file_misses(project: Path, cache_dir: Path) -> None:
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    extra = project / "manifests" / "extra.yaml"
    extra.write_text(SERVICE.replace("name: web", "name: other"))
    age(extra, project / "manifests")
    out = lint("-f", "json", "manifests")[1]
    assert out != MARKER and json.loads(out)["summary"]["files"] == 3
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    extra.unlink()
    out = lint("-f", "json", "manifests")[1]
    assert out != MARKER and json.loads(out)["summary"]["files"] == 2


def test_changed_options_miss(project: Path, cache_dir: Path) -> None:
    lint("-f", "json", "manifests")
    tamper(cache_dir)
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


def test_config_is_part_of_the_key(project: Path, cache_dir: Path) -> None:
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    config = project / ".kpolicy.yaml"
    config.write_text("rules:\n  selector-mismatch: {severity: warning}\n")
    age(config)
    out = lint("-f", "json", "manifests")[1]
    assert out != MARKER
    assert {
        d["severity"] for d in json.loads(out)["diagnostics"] if d["rule"] == "selector-mismatch"
    } == {"warning"}
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    config.write_text("rules:\n  selector-mismatch: {severity: info}\n")
    age(config)
    assert lint("-f", "json", "manifests")[1] != MARKER
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    config.unlink()
    assert lint("-f", "json", "manifests")[1] != MARKER


def test_context_nodes_policies_and_schema_dir_are_inputs(project: Path, cache_dir: Path) -> None:
    context = project / "context"
    context.mkdir()
    (context / "svc.yaml").write_text(SERVICE.replace("name: web", "name: ctx"))
    nodes = project / "nodes.yaml"
    nodes.write_text("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n")
    schemas = project / "schemas"
    schemas.mkdir()
    (schemas / "widget_v1.json").write_text('{"type": "object"}')
    age(context, nodes, schemas)
    args = (
        "-f",
        "json",
        "--context",
        "context",
        "--nodes",
        "nodes.yaml",
        "--schema-dir",
        "schemas",
        "manifests",
    )
    first = lint(*args)
    assert lint(*args) == first
    for changed in (context / "svc.yaml", nodes, schemas / "widget_v1.json"):
        tamper(cache_dir)
        changed.write_text(changed.read_text() + "\n# changed\n")
        age(changed)
        assert lint(*args)[1] != MARKER, changed
        lint(*args)


def test_no_cache_neither_reads_nor_writes(project: Path, cache_dir: Path) -> None:
    first = lint("--no-cache", "-f", "json", "manifests")
    assert not (cache_dir / "results").exists()
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    assert lint("--no-cache", "-f", "json", "manifests") == first
    assert lint("-f", "json", "manifests")[1] == MARKER


def test_recently_modified_files_are_not_recorded(project: Path, cache_dir: Path) -> None:
    (project / "manifests" / "deployment.yaml").write_text(DEPLOYMENT)  # now: racy
    lint("-f", "json", "manifests")
    assert entries(cache_dir) == []


def test_failed_runs_stdin_and_debug_are_not_recorded(project: Path, cache_dir: Path) -> None:
    lint("-f", "json", "manifests", "missing.yaml")  # exit 2: an I/O error
    lint("-f", "json", "--debug", "manifests")
    CliRunner().invoke(app, ["lint", "-f", "json", "-"], input=DEPLOYMENT)
    assert entries(cache_dir) == []


def test_output_file_is_written_again(project: Path, cache_dir: Path) -> None:
    first = lint("-f", "json", "-o", "report.json", "manifests")
    assert '"selector-mismatch"' in (project / "report.json").read_text()
    (project / "report.json").unlink()
    tamper(cache_dir)
    assert lint("-f", "json", "-o", "report.json", "manifests") == first
    assert (project / "report.json").read_text() == MARKER  # replayed into this --output
    assert sorted(project.iterdir()) == [project / "manifests", project / "report.json"]


def test_report_files_are_written_again_to_this_command_lines_paths(
    project: Path, cache_dir: Path
) -> None:
    """A replay writes the --report files of the command line being run: the texts the
    recorded run wrote, to the paths given now (an entry holds no path to write to)."""
    args = ("--report", "sarif=a.sarif", "--report", "junit=a.xml", "manifests")
    first = lint(*args)
    assert first[0] == 1 and first[1].startswith("manifests/deployment.yaml:")
    sarif, junit = (project / "a.sarif").read_text(), (project / "a.xml").read_text()
    (project / "a.sarif").unlink()
    (project / "a.xml").unlink()
    (entry,) = entries(cache_dir)
    recorded = entry.read_text()
    assert "a.sarif" not in recorded and "a.xml" not in recorded
    tamper(cache_dir)  # a replay shows the marker on the terminal
    again = lint(*args)
    assert again == (first[0], MARKER, first[2])
    assert (project / "a.sarif").read_text() == sarif
    assert (project / "a.xml").read_text() == junit
    # other paths, same formats: the same entry, written where this command line says
    elsewhere = lint("--report", "sarif=b.sarif", "--report", "junit=b.xml", "manifests")
    assert elsewhere[1] == MARKER
    assert (project / "b.sarif").read_text() == sarif
    assert (project / "b.xml").read_text() == junit
    assert len(entries(cache_dir)) == 1
    # other formats, or the same in another order: another entry
    assert lint("--report", "junit=a.xml", "--report", "sarif=a.sarif", "manifests")[1] != MARKER
    assert lint("--report", "gitlab=a.json", "manifests")[1] != MARKER
    assert lint("manifests")[1] != MARKER


def test_recorded_reports_must_match_the_command_line(project: Path, cache_dir: Path) -> None:
    """An entry whose recorded reports are not this command line's formats is not replayed,
    and a report path that cannot be written is left to the real run, which says why."""
    lint("--report", "sarif=a.sarif", "manifests")

    def other_reports(entry: dict[str, Any]) -> None:
        entry["outputs"].update(report=MARKER, reports=[["json", "{}"]])

    rewrite(cache_dir, other_reports)
    assert lint("--report", "sarif=a.sarif", "manifests")[1] != MARKER
    assert "$schema" in (project / "a.sarif").read_text()
    code, _, err = lint("--report", "sarif=missing/a.sarif", "manifests")
    assert code == 2 and "missing/a.sarif" in err, err


def test_code_change_misses(
    project: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another kpolicy")
    assert lint("-f", "json", "manifests")[1] != MARKER


def test_kpolicys_own_files_are_in_the_code_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package, its rules and its schemas, each walked whole."""
    from kpolicy.resources import data_dir

    walked: list[str] = []
    real = cache_module._tree_stamp

    def recording(root: str) -> str:
        walked.append(root)
        return real(root)

    monkeypatch.setattr(cache_module, "_tree_stamp", recording)
    cache_module.code_fingerprint.cache_clear()
    try:
        cache_module.code_fingerprint()
    finally:
        cache_module.code_fingerprint.cache_clear()
    package = Path(cache_module.__file__).resolve().parent
    assert walked == [str(package), str(data_dir("rules")), str(data_dir("schemas"))]
    stamp = real(str(data_dir("rules")))
    assert "/selector-mismatch.yaml|" in stamp and "/index.json|" in stamp


def test_the_code_stamp_sees_every_edit(tmp_path: Path) -> None:
    """An edit in place (the folder's time does not change), one that keeps the size, a file
    added, removed or renamed, in the tree or below: each changes the stamp; compiled files
    and the cache's temporary files do not."""
    root = tmp_path / "package"
    (root / "checks").mkdir(parents=True)
    rule = root / "checks" / "rule.py"
    rule.write_text("a = 1\n")
    (root / "top.py").write_text("b = 2\n")
    os.utime(rule, ns=(10**18, 10**18))
    stamps = [cache_module._tree_stamp(str(root))]

    def changed() -> bool:
        stamps.append(cache_module._tree_stamp(str(root)))
        return stamps[-1] != stamps[-2]

    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "top.cpython-311.pyc").write_bytes(b"x")
    (root / "checks" / ".tmp-1.part").write_bytes(b"x")
    assert not changed()
    folder_time = (root / "checks").stat().st_mtime_ns
    with rule.open("r+") as handle:  # in place, same size
        handle.write("a = 3\n")
    assert (root / "checks").stat().st_mtime_ns == folder_time
    assert changed()
    rule.write_text("a = 30\n")
    os.utime(rule, ns=(10**18, 10**18))  # a new size, the old time
    assert changed()
    (root / "checks" / "new.py").write_text("")
    assert changed()
    (root / "checks" / "new.py").rename(root / "checks" / "renamed.py")
    assert changed()
    (root / "checks" / "renamed.py").unlink()
    assert changed()
    (root / "loop").symlink_to(root)  # a loop is walked once
    assert "top.py" in cache_module._tree_stamp(str(root))


def test_damaged_entries_are_ignored(project: Path, cache_dir: Path) -> None:
    first = lint("-f", "json", "manifests")
    for path in entries(cache_dir):
        path.write_bytes(b"\x80\x04not json at all")
    assert lint("-f", "json", "manifests") == first
    rewrite(cache_dir, lambda entry: entry.update(format=None))  # authentic, but not JSON we know
    assert lint("-f", "json", "manifests") == first


def test_a_damaged_swapped_or_missing_report_file_is_a_miss(project: Path, cache_dir: Path) -> None:
    """The report is kept beside its entry, which names it by its MAC: a report file that is
    edited, truncated, another entry's, authentic but not the one the entry names (left by
    another run of the same command line), or missing, is a miss: the run is real, and
    records the report again."""
    first = lint("-f", "json", "manifests")
    (entry,) = entries(cache_dir)
    report = report_of(entry)
    good = report.read_bytes()
    assert good[65:] == first[1].encode()  # the report's own bytes, after the MAC line
    lint("-f", "text", "manifests")
    (other,) = (path for path in entries(cache_dir) if path != entry)
    folder = open_cache()
    assert folder is not None
    attempts = {
        "edited": good[: -len(MARKER)] + MARKER.encode(),
        "truncated": good[: len(good) // 2],
        "the MAC line only": good[:65],
        "another entry's": report_of(other).read_bytes(),
        "empty": b"",
    }
    for what, data in attempts.items():
        report.write_bytes(data)
        assert lint("-f", "json", "manifests") == first, what
        assert report.read_bytes() == good, what  # recorded again: the run was real
    for entry_point in ("hook", "cli"):  # the same before the CLI is imported
        report.write_bytes(good[: len(good) // 2])
        out = run("lint", "--no-color", "-f", "json", "manifests", cwd=project, entry=entry_point)
        assert (out.returncode, out.stdout) == (first[0], first[1]), entry_point
        assert report.read_bytes() == good, entry_point
    report.unlink()
    assert lint("-f", "json", "manifests") == first
    assert report.read_bytes() == good
    # authentic under this name, but not the report the entry recorded
    assert folder.write("results/lint", report.name, REPORT_PURPOSE, MARKER.encode())
    assert lint("-f", "json", "manifests") == first
    assert report.read_bytes() == good
    tamper(cache_dir)  # the report the entry names is replayed: the misses above were misses
    assert lint("-f", "json", "manifests")[1] == MARKER


def test_a_replay_prints_the_real_runs_bytes(project: Path, cache_dir: Path) -> None:
    """Byte for byte: stdout, stderr and an --output file, in JSON, text and SARIF, replayed
    before the CLI is imported and by the CLI."""

    def real(args: list[str]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "kpolicy", *args],
            cwd=project,
            capture_output=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT), cache_module.CACHE_ENV: ""},
        )

    for fmt in ("json", "text", "sarif"):
        for output in ((), ("-o", f"report.{fmt}")):
            args = ["lint", "--no-color", "-f", fmt, *output, "manifests"]
            uncached = real([*args, "--no-cache"])
            written = (project / output[1]).read_bytes() if output else b""
            assert uncached.returncode == 1 and (uncached.stdout or written)
            first = run(*args, cwd=project)  # recorded
            assert first.returncode == 1
            recorded = {path: path.stat().st_ino for path in cache_dir.rglob("*")}
            for entry_point in ("hook", "cli"):
                if output:
                    (project / output[1]).unlink()
                command = (
                    [sys.executable, "-m", "kpolicy", *args]
                    if entry_point == "cli"
                    else [
                        sys.executable,
                        "-c",
                        "import sys; from kpolicy.cache import replay_command_line as r; "
                        "sys.exit(r(sys.argv[1:]))",
                        *args,
                    ]
                )
                again = subprocess.run(
                    command,
                    cwd=project,
                    capture_output=True,
                    timeout=300,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                what = (fmt, output, entry_point)
                assert (again.returncode, again.stdout, again.stderr) == (
                    uncached.returncode,
                    uncached.stdout,
                    uncached.stderr,
                ), what
                if output:
                    assert (project / output[1]).read_bytes() == written, what
                # a replay: nothing was recorded again
                assert {p: p.stat().st_ino for p in cache_dir.rglob("*")} == recorded, what


def test_pruning_removes_an_entry_with_its_report(project: Path, cache_dir: Path) -> None:
    """Past the entries kept, the oldest go, each with the report beside it; a report left
    without an entry is pruned as well."""
    folder = open_cache()
    assert folder is not None
    lint("-f", "json", "manifests")
    lint("-f", "text", "manifests")
    old = entries(cache_dir)
    assert len(old) == 2 and all(report_of(path).exists() for path in old)
    past = time.time() - 3600
    for index in range(70):
        name = f"{index:039x}f"
        assert folder.write("results/lint", f"{name}.json", RUN_PURPOSE, b"{}")
        assert folder.write("results/lint", f"{name}.report", REPORT_PURPOSE, b"report")
        # the entries' order is not their reports' order: only the entry decides
        for suffix, when in ((".json", past - index), (".report", past - 70 + index)):
            os.utime(cache_dir / "results" / "lint" / f"{name}{suffix}", (when, when))
    lint("-f", "sarif", "manifests")  # records a third entry, then prunes
    left = entries(cache_dir)
    reports = sorted((cache_dir / "results" / "lint").glob(f"*{REPORT_SUFFIX}"))
    assert len(left) == cache_module._MAX_ENTRIES
    assert [report_of(path) for path in left] == reports
    assert all(path in left for path in old)
    # reports without their entry, older: pruned down to as many as entries are kept
    for index in range(70):
        name = f"{index:039x}e.report"
        assert folder.write("results/lint", name, REPORT_PURPOSE, b"orphan")
        os.utime(cache_dir / "results" / "lint" / name, (past - 600, past - 600))
    lint("-f", "github", "manifests")
    reports = sorted((cache_dir / "results" / "lint").glob(f"*{REPORT_SUFFIX}"))
    assert [report_of(path) for path in entries(cache_dir)] == reports


def test_cache_dir_override(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv(cache_module.CACHE_ENV, str(elsewhere))
    lint("-f", "json", "manifests")
    assert list((elsewhere / "results" / "lint").glob("*.json"))


def test_the_default_is_the_user_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cache_module.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform == "linux":
        assert cache_module.user_cache_dir() == tmp_path / "xdg" / "kpolicy"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid by the XDG spec: ignored
    assert cache_module.user_cache_dir() != Path("relative/path/kpolicy")


@pytest.mark.parametrize(
    "base",
    [
        "/home/u",
        "/home/u/",
        "/home//u",
        "/home/./u",
        "/home/u/.",
        "/home/../u",
        "//home/u",
        "/",
        "",
    ],
)
def test_cache_folder_names_are_those_pathlib_writes(base: str) -> None:
    """The replay names its cache folder without pathlib, as pathlib would name it."""
    for names in ((), ("kpolicy",), (".cache", "kpolicy")):
        assert cache_module._pathlib_str(base, *names) == str(Path(base, *names))


def test_the_cache_root_with_and_without_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache_module.CACHE_ENV, "relative//cache/")
    assert cache_module.cache_root() == str(Path(os.path.abspath("relative//cache/")))
    monkeypatch.delenv(cache_module.CACHE_ENV)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path) + "/")
    if sys.platform == "linux":
        assert cache_module.cache_root() == str(tmp_path / ".cache" / "kpolicy")
        assert cache_module.user_cache_dir() == Path.home() / ".cache" / "kpolicy"


def test_the_replay_finds_the_config_the_run_finds(tmp_path: Path) -> None:
    """The nearest .kpolicy.yaml upward, else the nearest pyproject.toml with [tool.kpolicy],
    through links (the replay's string version of kpolicy.configfile.find_config)."""
    from kpolicy.configfile import find_config, find_config_file

    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (tmp_path / "link").symlink_to(deep)
    (tmp_path / "a" / "pyproject.toml").write_text("[tool.other]\n")
    (tmp_path / "a" / "b" / "pyproject.toml").write_text("[tool.kpolicy]\nexclude = []\n")
    (tmp_path / ".kpolicy.yaml").write_text("rules: {}\n")
    for start in (deep, tmp_path / "link", tmp_path / "a", tmp_path):
        assert find_config_file(str(start)) == str(find_config(start))
        assert find_config_file(str(start)) == str(tmp_path.resolve() / ".kpolicy.yaml")
    (tmp_path / ".kpolicy.yaml").unlink()
    assert find_config_file(str(deep)) == str(find_config(deep))
    assert find_config_file(str(deep)) == str(tmp_path.resolve() / "a" / "b" / "pyproject.toml")
    above = find_config(tmp_path / "a")  # [tool.other] is not kpolicy's: looked for above
    assert find_config_file(str(tmp_path / "a")) == (str(above) if above else None)


def test_atomic_write_replaces_whole_files(cache_dir: Path) -> None:
    folder = open_cache()
    assert folder is not None
    assert folder.write("sub/deeper", "entry.json", b"test", b"one")
    assert folder.write("sub/deeper", "entry.json", b"test", b"two")
    target = cache_dir / "sub" / "deeper" / "entry.json"
    assert target.read_bytes().endswith(b"\ntwo")
    assert folder.read("sub/deeper", "entry.json", b"test") == b"two"
    assert folder.read("sub/deeper", "entry.json", b"other purpose") is None
    assert [p.name for p in target.parent.iterdir()] == ["entry.json"]  # no temporary left
    (cache_dir / "file").write_text("")
    assert not folder.write("file", "entry.json", b"test", b"x")  # a file where a folder should be


@pytest.mark.parametrize("pure", [True, False])
def test_a_replay_takes_the_status_of_each_input_once(
    project: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, pure: bool
) -> None:
    """The walk's stat of a file is the one the replay compares with the recorded signature
    (taken in C where the extension lists folders: then none by os)."""
    from kpolicy.discover import compiled_walk

    if pure:
        monkeypatch.setenv("KPOLICY_PURE_PYTHON", "1")
    elif compiled_walk("list_folder") is None:
        pytest.skip("the C extension does not list folders here")
    lint("-f", "json", "manifests")
    tamper(cache_dir)
    taken: list[str] = []
    for name in ("stat", "lstat"):
        real = getattr(os, name)

        def counting(path: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            taken.append(os.path.basename(os.fsdecode(path)) if not isinstance(path, int) else "")
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, counting)
    assert lint("-f", "json", "manifests")[1] == MARKER
    once = 1 if pure else 0
    assert taken.count("deployment.yaml") == once and taken.count("service.yaml") == once


@pytest.mark.parametrize(
    "path", ["a", "./a/../b", "a//b/", "/x/../y", ".", "..", "//z", "/", "a/./b/.", "../../.."]
)
def test_absolute_paths_are_those_of_abspath(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in (tmp_path, Path("/")):
        monkeypatch.chdir(folder)
        assert cache_module._absolute_paths()(path) == os.path.abspath(path)


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"a": [1, -2.5e-3, True, False, None, 'x\u00e9\ud800\n"', {"b": []}]},
        {"format": 3, "big": 10**30, "nan": float("inf"), "deep": [[[[{"k": "v"}]]]]},
        {"\udcff-name": "surrogate-escaped file name", "emoji": "\U0001f600"},
    ],
)
def test_entries_are_read_as_json_loads_reads_them(value: dict[str, Any]) -> None:
    """A replay reads its entries with json's own C scanner, without importing json."""
    for text in (json.dumps(value), json.dumps(value, separators=(",", ":"), ensure_ascii=False)):
        data = text.encode("utf-8", "surrogatepass")
        assert cache_module.loads(data) == json.loads(data)
        assert repr(cache_module.loads(data + b" \n")) == repr(json.loads(data + b" \n"))


@pytest.mark.parametrize(
    "data", [b"", b"{", b'{"a": 1} x', b'{"a": 1}{}', b"{'a': 1}", b'{"a": NaN', b"[1]", b"1"]
)
def test_what_json_loads_refuses_the_replay_refuses(data: bytes) -> None:
    try:
        expected: object = json.loads(data)
    except ValueError:
        with pytest.raises(ValueError):
            cache_module.loads(data)
    else:
        assert cache_module.loads(data) == expected


def test_fingerprint_is_json_stable(project: Path) -> None:
    cache = RunCache.for_command({"paths": ["manifests"]}, ["manifests"], project)
    assert cache is not None
    spec: dict[str, object] = {
        "paths": ["manifests"],
        "context": [],
        "stdin_name": "<stdin>",
        "exclude": [],
        "config": None,
        "policies": [],
        "nodes": None,
        "schema_dir": [],
    }
    state = cache.fingerprint(spec)
    assert json.loads(json.dumps(state)) == state


# -- whole processes -------------------------------------------------------------------------


def run(*args: str, cwd: Path, entry: str = "cli") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # KPOLICY_CACHE_DIR: the test's cache folder
    if entry == "hook":  # the entry point with the replay before typer is imported
        code = (
            "import sys; from kpolicy.cache import replay_command_line as r; "
            "c = r(sys.argv[1:]); "
            "sys.exit(c) if c is not None else None; "
            "from kpolicy.cli import main; main()"
        )
        command = [sys.executable, "-c", code, *args]
    else:
        command = [sys.executable, "-m", "kpolicy", *args]
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "PYTHONPATH": str(ROOT)},
    )


def test_concurrent_runs_do_not_corrupt_the_cache(project: Path, cache_dir: Path) -> None:
    """Two processes record the same entry at once; both print a whole report, and the entry
    left behind replays."""
    for index in range(12):
        copy = project / "manifests" / f"copy{index}.yaml"
        copy.write_text(DEPLOYMENT.replace("name: web", f"name: web{index}") * 3)
    age(project / "manifests")
    args = ("lint", "--no-color", "-f", "json", "manifests")
    expected = run("lint", "--no-cache", "--no-color", "-f", "json", "manifests", cwd=project)
    for _ in range(2):
        env = dict(os.environ)
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "kpolicy", *args],
                cwd=project,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        for process in processes:
            out, err = process.communicate(timeout=300)
            assert (process.returncode, out, err) == (
                expected.returncode,
                expected.stdout,
                expected.stderr,
            )
    folder = open_cache()
    assert folder is not None
    for path in entries(cache_dir):
        payload = folder.read("results/lint", path.name, RUN_PURPOSE)  # whole, and authentic
        assert payload is not None
        json.loads(payload)
    assert not [p for p in cache_dir.rglob("*") if ".tmp-" in p.name]
    again = run(*args, cwd=project)
    assert (again.returncode, again.stdout) == (expected.returncode, expected.stdout)


def test_replay_before_the_cli_is_imported(project: Path, cache_dir: Path) -> None:
    args = ("lint", "--no-color", "-f", "json", "manifests")
    first = run(*args, cwd=project, entry="hook")
    assert list((cache_dir / "results" / "argv").glob("*.json"))
    tamper(cache_dir)
    second = run(*args, cwd=project, entry="hook")
    assert (second.returncode, second.stdout) == (first.returncode, MARKER)
    other = run("lint", "--no-color", "-f", "text", "manifests", cwd=project, entry="hook")
    assert other.stdout != MARKER


def test_replay_command_line_declines_what_it_cannot_replay(project: Path) -> None:
    assert replay_command_line(["rules"], project) is None
    assert replay_command_line(["lint", "-"], project) is None
    assert replay_command_line(["lint", "--no-cache", "manifests"], project) is None
    assert replay_command_line(["lint", "manifests"], project) is None  # nothing recorded


def test_command_lines_with_report_files_are_replayed_by_the_cli(
    project: Path, cache_dir: Path
) -> None:
    """Only the parsed command line knows the --report paths: the raw command line is neither
    looked up nor recorded, and the CLI replays the run."""
    for option in (["--report", "sarif=a.sarif"], ["--report=sarif=a.sarif"]):
        args = ("lint", "--no-color", *option, "manifests")
        first = run(*args, cwd=project, entry="hook")
        assert first.returncode == 1 and (project / "a.sarif").is_file()
        assert not (cache_dir / "results" / "argv").exists()
        assert replay_command_line(list(args), project) is None
        tamper(cache_dir)
        (project / "a.sarif").unlink()
        second = run(*args, cwd=project, entry="hook")
        assert (second.returncode, second.stdout) == (1, MARKER)
        assert (project / "a.sarif").read_text().startswith('{\n  "$schema"')


def test_the_fast_path_counts_every_path_it_may_lint() -> None:
    """Before the command line is parsed, every argument that may name a linted path counts,
    and `.` when no positional argument is given: never fewer than the parsed command line."""
    from kpolicy.cache import _linted_paths

    assert (_linted_paths(["-f", "json", "k8s"]) or [])[:1] == ["k8s"]
    assert "." in _linted_paths(["--config", "x.yaml"])  # type: ignore[operator]
    assert "." in _linted_paths(["--show-suppressed", "--context", "ctx"])  # type: ignore[operator]
    assert (_linted_paths(["--output=r.json", "--", "-odd-name"]) or [])[:1] == ["-odd-name"]
    assert _linted_paths(["-x"]) is None  # not an option of lint: the parsed run decides
    # short options as click groups them (kpolicy.fastcli reads them so too)
    assert (_linted_paths(["-j1", "-vfjson", "k8s"]) or [])[:1] == ["k8s"]
    assert (_linted_paths(["-vf", "json", "k8s"]) or [])[:1] == ["k8s"]
    assert (_linted_paths(["-vv", "k8s"]) or [])[:1] == ["k8s"]
    assert "." in _linted_paths(["-vo", "k8s"])  # type: ignore[operator]
    assert _linted_paths(["-vx"]) is None


def test_a_folder_writable_by_everyone_is_refused(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache_dir.mkdir(mode=0o700)
    cache_dir.chmod(0o777)
    assert open_cache() is None
    assert "is writable by every user" in capsys.readouterr().err
    cache_dir.chmod(0o1777)  # sticky, as /tmp: others cannot replace kpolicy's files
    cache_module.reset()
    assert open_cache() is not None


def test_a_secret_others_can_read_is_replaced(cache_dir: Path) -> None:
    folder = open_cache()
    assert folder is not None and folder.write("x", "a.json", b"test", b"payload")
    secret = cache_dir / "secret"
    secret.chmod(0o644)
    cache_module.reset()
    again = open_cache()
    assert again is not None
    assert secret.stat().st_mode & 0o777 == 0o600
    assert again.read("x", "a.json", b"test") is None  # signed with the exposed secret: a miss
    secret.unlink()
    secret.symlink_to(cache_dir / "elsewhere")  # a link in place of the secret: replaced too
    cache_module.reset()
    assert open_cache() is not None and not secret.is_symlink()


@pytest.mark.skipif(sys.platform == "darwin", reason="file names must be UTF-8 on macOS")
def test_a_file_name_that_is_not_utf8_is_recorded_and_replayed(
    project: Path, cache_dir: Path
) -> None:
    odd = os.fsencode(project / "manifests") + b"/\xff-odd.yaml"
    with open(odd, "wb") as out:
        out.write(SERVICE.replace("name: web", "name: odd").encode())
    age(project / "manifests")
    first = lint("-f", "json", "manifests")
    assert first[0] == 1 and entries(cache_dir)
    tamper(cache_dir)
    assert lint("-f", "json", "manifests")[1] == MARKER


def test_every_lint_option_is_a_field_of_the_command_and_in_the_replay_key() -> None:
    """A new option of ``kpolicy lint`` must be a field of LintCommand (named as the
    parameter), and every field changes the replay key unless NOT_IN_CACHE_KEY says why not:
    an option forgotten in the key would replay another run's report."""
    import inspect
    from dataclasses import fields, replace

    from kpolicy.cli import lint as lint_command
    from kpolicy.command import NOT_IN_CACHE_KEY, LintCommand

    parameters = set(inspect.signature(lint_command).parameters) - {"report_files"}
    names = {f.name for f in fields(LintCommand)}
    assert names == parameters | {"report_formats", "report_paths"}
    assert set(NOT_IN_CACHE_KEY) <= names

    def other(value: object) -> object:
        if isinstance(value, bool) or value is None:
            return not value
        if isinstance(value, int):
            return value + 1
        if isinstance(value, str):
            return value + "x"
        return (*value, "x")  # type: ignore[misc]

    base = LintCommand()
    for name in sorted(names):
        changes: dict[str, Any] = {name: other(getattr(base, name))}
        changed = replace(base, **changes)
        if name in NOT_IN_CACHE_KEY:
            assert changed.cache_key() == base.cache_key(), name
        else:
            assert changed.cache_key() != base.cache_key(), name
