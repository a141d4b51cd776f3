"""Issue 13 (part a): each test is an attack, as a pull request's author or a planted file would
make it, asserting the safe outcome. See SECURITY.md for the rules and the threat model, and
``tests/hostile/security/README.md`` for the hostile files used here.

Attacks on the language server's input are in ``tests/lsp/test_security_lsp.py``.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import kpolicy.cache as cache_module
from kpolicy.cache import REPORT_PURPOSE, RUN_PURPOSE, CacheFolder, open_cache
from kpolicy.discover import Skipped, discover
from kpolicy.versions import DEFAULT_VERSION
from tests.conftest import ROOT
from tests.helpers import cli
from tests.test_cli import BAD

HOSTILE = ROOT / "tests" / "hostile" / "security"
TIMEOUT = 120
SCHEMA_ERROR = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: counted
spec:
  replicas: three
  selector:
    matchLabels: {app: counted}
  template:
    metadata:
      labels: {app: counted}
    spec:
      containers:
        - name: c
          image: nginx:1.27
"""


def age(*paths: Path) -> None:
    """Date files an hour back: a file written within the last seconds is not cached."""
    past = time.time() - 3600
    for path in paths:
        for file in [path, *path.rglob("*")] if path.is_dir() else [path]:
            os.utime(file, (past, past), follow_symlinks=False)


def kpolicy(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    process: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``kpolicy ARGS`` as installed: the entry point with its cached-replay fast path. In this
    process (``tests.helpers.cli``), unless a ``timeout`` is given (an attack that could hang
    the run, a FIFO or a pattern, runs in a process of its own, killed after ``timeout``) or
    ``process`` (what needs the process's own file descriptors, /dev/stdout)."""
    if timeout is None and not process:
        return cli(*args, cwd=cwd, env=env)
    return subprocess.run(
        [sys.executable, "-c", "from kpolicy.entry import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout or TIMEOUT,
        env={**(env if env is not None else os.environ), "PYTHONPATH": str(ROOT)},
    )


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    env.pop("GIT_DIR", None)
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=True, timeout=60
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout as CI makes it: a git repository whose k8s/ holds a Deployment with an
    error (selector-mismatch), every file an hour old."""
    root = tmp_path / "repo"
    (root / "k8s").mkdir(parents=True)
    (root / "k8s" / "web.yaml").write_text(BAD)
    git(root, "init", "-q")
    age(root)
    return root


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each attack with a cache folder of its own (beside the repository, not in it)."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv(cache_module.CACHE_ENV, str(folder))
    return folder


def findings(out: str) -> list[str]:
    return [d["rule"] for d in json.loads(out)["diagnostics"]]


# -- 1. run-cache poisoning --------------------------------------------------------------------


def test_a_cache_committed_in_the_pull_request_is_never_read(repo: Path) -> None:
    """The old attack: `.kpolicy_cache/` in the checkout replaying "0 errors". The working
    folder holds no cache any more; the run lints for real."""
    planted = HOSTILE / "planted-run-entry.json"
    for sub in ("lint", "argv", "results/lint", "results/argv"):
        folder = repo / ".kpolicy_cache" / sub
        folder.mkdir(parents=True)
        for name in ("0" * 40, "f" * 40):
            shutil.copyfile(planted, folder / f"{name}.json")
    age(repo)
    for _ in range(2):  # recorded, then replayed from the user's cache
        out = kpolicy("lint", "-f", "json", "k8s", cwd=repo)
        assert out.returncode == 1, out.stderr
        assert findings(out.stdout) == ["selector-mismatch"]
    assert not (repo.parent / "outside").exists()


def _record(repo: Path, *args: str) -> tuple[CacheFolder, list[Path]]:
    first = kpolicy("lint", *args, cwd=repo)
    assert first.returncode == 1, first.stderr
    folder = open_cache()
    assert folder is not None
    written = sorted(Path(folder.root, "results", "lint").glob("*.json"))
    assert written
    return folder, written


def _forged(payload: bytes, folder: CacheFolder, name: str) -> bytes:
    """An entry's payload with the planted "0 errors" outputs in place of the real ones; its
    report is written beside it, authentic under ``folder``'s secret, and named by the entry
    (so that only what the test changes is wrong)."""
    entry = json.loads(payload)
    outputs = json.loads((HOSTILE / "planted-run-entry.json").read_text())["outputs"]
    report = outputs.pop("report").encode()
    stem = name.removesuffix(".json")
    outputs["report_mac"] = folder.write_mac(
        "results/lint", f"{stem}.report", REPORT_PURPOSE, report
    )
    assert outputs["report_mac"] is not None
    entry["outputs"] = outputs
    return json.dumps(entry).encode()


def test_a_planted_or_edited_entry_is_a_miss(repo: Path) -> None:
    """Someone who can write the cache folder but does not hold its secret: an edited entry
    (the old MAC), a planted one (a MAC under another key), one without a MAC, an alias that
    points elsewhere. Each is ignored and the run lints for real."""
    folder, written = _record(repo, "-f", "json", "k8s")
    entry = written[0]
    payload = folder.read("results/lint", entry.name, RUN_PURPOSE)
    assert payload is not None
    forged = _forged(payload, folder, entry.name)
    stranger = CacheFolder(folder.root, None, os.urandom(32))
    old_mac = entry.read_bytes()[:64]
    attempts = {
        "edited": old_mac + b"\n" + forged,
        "planted": stranger.mac(RUN_PURPOSE, entry.name, forged).hex().encode() + b"\n" + forged,
        "no MAC": forged,
        "empty": b"",
    }
    for what, data in attempts.items():
        entry.write_bytes(data)
        out = kpolicy("lint", "-f", "json", "k8s", cwd=repo)
        assert (out.returncode, findings(out.stdout)) == (1, ["selector-mismatch"]), what
        assert not (repo.parent / "outside").exists(), what
    # an alias (the fast path's index) planted to name another entry: a miss as well
    aliases = sorted(Path(folder.root, "results", "argv").glob("*.json"))
    assert aliases
    for alias in aliases:
        alias.write_bytes(b"0" * 64 + b'\n{"entry": "' + b"1" * 40 + b'", "output": null}')
    out = kpolicy("lint", "-f", "json", "k8s", cwd=repo)
    assert (out.returncode, findings(out.stdout)) == (1, ["selector-mismatch"])


def _copy_cache_into(source: str, target: Path) -> None:
    shutil.copytree(source, target, symlinks=True)


def test_a_cache_folder_inside_the_repository_is_refused(repo: Path) -> None:
    """CI puts XDG_CACHE_HOME in the workspace: the pull request can then commit a whole
    cache, secret included, whose entries are valid under that secret. The folder is refused
    with a one-line warning and the run lints for real."""
    folder, _ = _record(repo, "-f", "json", "k8s")
    # the strongest attacker: a complete, authentic cache of this very command, rewritten to
    # say "0 errors" with the secret it ships
    planted_home = repo / ".cache"
    _copy_cache_into(folder.root, planted_home / "kpolicy")
    shipped = CacheFolder(
        str(planted_home / "kpolicy"), None, (planted_home / "kpolicy" / "secret").read_bytes()
    )
    for path in (planted_home / "kpolicy" / "results" / "lint").glob("*.json"):
        payload = shipped.read("results/lint", path.name, RUN_PURPOSE)
        assert payload is not None
        assert shipped.write(
            "results/lint", path.name, RUN_PURPOSE, _forged(payload, shipped, path.name)
        )
    age(repo)
    env = {k: v for k, v in os.environ.items() if k != cache_module.CACHE_ENV}
    env["XDG_CACHE_HOME"] = str(planted_home)
    for _ in range(2):
        out = kpolicy("lint", "-f", "json", "k8s", cwd=repo, env=env)
        assert (out.returncode, findings(out.stdout)) == (1, ["selector-mismatch"]), out.stderr
        warnings = [line for line in out.stderr.splitlines() if "warning" in line]
        assert len(warnings) == 1, out.stderr
        assert "is inside the repository of the working folder" in warnings[0]
        assert "running without the cache" in warnings[0]
    # the same with KPOLICY_CACHE_DIR pointing into the linted folder, outside any repository
    plain = repo.parent / "plain"
    shutil.copytree(repo / "k8s", plain / "k8s")
    inside = plain / "k8s" / "cache"
    env = {**os.environ, cache_module.CACHE_ENV: str(inside)}
    out = kpolicy("lint", "-f", "json", "k8s", cwd=plain, env=env)
    assert (out.returncode, findings(out.stdout)) == (1, ["selector-mismatch"])
    assert "is inside the linted folder" in out.stderr
    assert not inside.exists()  # nothing written there either


def test_a_replay_writes_only_to_this_command_lines_output(repo: Path) -> None:
    """An entry recorded with another --output (or forged to carry one) never decides where
    the report goes: a replay writes to the path on this command line."""
    folder, written = _record(repo, "-f", "json", "-o", "report.json", "k8s")
    report = (repo / "report.json").read_text()
    victim = repo.parent / "outside" / "pwned.txt"
    victim.parent.mkdir()
    for entry in written:
        payload = folder.read("results/lint", entry.name, RUN_PURPOSE)
        assert payload is not None
        data = json.loads(payload)
        data["outputs"]["output"] = str(victim)  # what the old format obeyed
        assert folder.write("results/lint", entry.name, RUN_PURPOSE, json.dumps(data).encode())
    (repo / "report.json").unlink()
    for args in (("-o", "report.json"), ("--output=report.json",), ("-oreport.json",)):
        out = kpolicy("lint", "-f", "json", *args, "k8s", cwd=repo)
        assert out.returncode == 1 and out.stdout == ""
        assert (repo / "report.json").read_text() == report
        assert not victim.exists()
    other = kpolicy("lint", "-f", "json", "-o", "other.json", "k8s", cwd=repo)
    assert other.returncode == 1 and (repo / "other.json").read_text() == report
    assert not victim.exists()


def test_an_output_link_planted_in_the_repository_is_not_followed(repo: Path) -> None:
    """`kpolicy.sarif` committed as a link to a file outside: the report is refused (exit 2)
    rather than written through the link; the file outside is untouched."""
    victim = repo.parent / "victim.txt"
    victim.write_text("precious\n")
    (repo / "kpolicy.sarif").symlink_to(victim)
    for command in (("lint", "-f", "sarif"), ("plan",)):
        out = kpolicy(*command, "-o", "kpolicy.sarif", "k8s", cwd=repo)
        assert out.returncode == 2, out.stderr
        assert out.stderr.strip().splitlines()[-1] == (
            "kpolicy: error: kpolicy.sarif: is a symbolic link; kpolicy does not write a report "
            "through a link (remove it, or name the file it points to)"
        )
        assert victim.read_text() == "precious\n"
    # a device named by the user is written: /dev/stdout
    out = kpolicy(
        "lint", "-f", "json", "-o", "/dev/stdout", "--no-cache", "k8s", cwd=repo, process=True
    )
    assert out.returncode == 1 and findings(out.stdout) == ["selector-mismatch"]


# -- 2. pruning ------------------------------------------------------------------------------


def _victims(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for index in range(count):
        path = folder / f"{index:040x}.json"
        path.write_text('{"mine": true}\n')
        made.append(path)
    age(folder)
    return made


def test_pruning_never_deletes_files_kpolicy_did_not_create(tmp_path: Path) -> None:
    """Planted prune targets: the entries folder replaced by a link to another project's
    folder; files named like entries, and links named like entries, inside the cache. Only
    kpolicy's own entries (name and MAC) are ever deleted."""
    folder = open_cache()
    assert folder is not None
    cache = Path(folder.root)
    other_project = tmp_path / "other-project" / "data"
    victims = _victims(other_project, 38)
    # 1. results/lint is a link to the other project
    (cache / "results").mkdir(exist_ok=True)
    (cache / "results" / "lint").symlink_to(other_project)
    assert not folder.write("results/lint", f"{'a' * 40}.json", RUN_PURPOSE, b"{}")
    assert folder.prune("results/lint", ".json", RUN_PURPOSE, 0) == []
    assert all(path.exists() for path in victims)
    (cache / "results" / "lint").unlink()
    # 2. inside the real folder: planted look-alikes, links to the victims, and kpolicy's own
    planted = _victims(cache / "results" / "lint", 5)
    links = []
    for index, victim in enumerate(victims[:5]):
        link = cache / "results" / "lint" / f"{index + 100:040x}.json"
        link.symlink_to(victim)
        links.append(link)
    own = f"{'b' * 40}.json"
    assert folder.write("results/lint", own, RUN_PURPOSE, b"{}")
    assert folder.prune("results/lint", ".json", RUN_PURPOSE, 0) == [own]
    assert all(path.exists() for path in (*victims, *planted))
    assert all(link.is_symlink() for link in links)


def test_a_full_run_prunes_only_its_own_entries(repo: Path, tmp_path: Path) -> None:
    """The same through real runs: 70 recorded runs (more than the 64 kept) leave the planted
    look-alikes alone."""
    folder = open_cache()
    assert folder is not None
    planted = _victims(Path(folder.root) / "results" / "lint", 3)
    victims = _victims(tmp_path / "other-project", 35)
    beside: list[Path] = []  # named as the reports of those entries, but not kpolicy's
    for index in range(70):
        folder.write("results/lint", f"{index:039x}f.json", RUN_PURPOSE, b"{}")
        report = Path(folder.root, "results", "lint", f"{index:039x}f.report")
        if index % 2:
            report.write_bytes(b"0" * 64 + b"\nnot kpolicy's")
        else:
            report.symlink_to(victims[index // 2])
        beside.append(report)
    out = kpolicy("lint", "-f", "json", "k8s", cwd=repo)  # records, then prunes
    assert out.returncode == 1
    left = sorted(Path(folder.root, "results", "lint").glob("*.json"))
    assert all(path in left for path in planted)
    assert len(left) == 64 + len(planted)
    assert all(path.is_symlink() or path.is_file() for path in beside)
    assert all(path.read_text() == '{"mine": true}\n' for path in victims)


# -- 3. processed-schema cache ----------------------------------------------------------------
# There is none any more (issue 17): every run builds the kinds it validates from kpolicy's own
# bundled files. These attacks stay as tests, so that a cache brought back has to face them.


def _schema_entry_names() -> list[str]:
    """Names a processed-schema cache of kpolicy used, and plausible others."""
    return [
        f"k8s-{DEFAULT_VERSION}-{'0' * 40}.pickle",
        f"k8s-{DEFAULT_VERSION}.pickle",
        f"{DEFAULT_VERSION}.json",
    ]


def test_a_planted_schema_pickle_is_never_read(tmp_path: Path) -> None:
    """A pickle with no schemas (so that no schema error could be found) planted in the cache
    folder, bare, with a made-up MAC or with a MAC under another key: the schema error is
    reported whatever is there."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "d.yaml").write_text(SCHEMA_ERROR)
    cache = tmp_path / "cache"
    env = {**os.environ, cache_module.CACHE_ENV: str(cache)}
    (cache / "schemas").mkdir(parents=True)
    planted = (HOSTILE / "planted-schemas.pickle").read_bytes()
    stranger = CacheFolder(str(cache), None, os.urandom(32))
    payload = planted[65:]
    for name in _schema_entry_names():
        attempts = {
            "made-up MAC": planted,
            "MAC under another key": stranger.mac(b"kpolicy.schema", name, payload).hex().encode()
            + b"\n"
            + payload,
            "bare pickle": payload,
        }
        for what, data in attempts.items():
            (cache / "schemas" / name).write_bytes(data)
            out = kpolicy("lint", "--no-cache", "-f", "json", "d.yaml", cwd=work, env=env)
            assert out.returncode == 1, (what, out.stderr)
            assert findings(out.stdout) == ["schema-type-mismatch"], (name, what)
    assert pickle.loads(payload) == ({}, {})  # the planted pickle was a real one


def test_a_schema_pickle_with_its_secret_in_the_checkout_changes_nothing(repo: Path) -> None:
    """The whole cache folder (secret and a pickle with a valid MAC) shipped in the
    repository: the folder is refused for the run cache, and the schema error is found."""
    (repo / "k8s" / "d.yaml").write_text(SCHEMA_ERROR)
    home = repo / ".cache"
    shipped = CacheFolder.open(str(home / "kpolicy"))
    for name in _schema_entry_names():
        assert shipped.write("schemas", name, b"kpolicy.schema", pickle.dumps(({}, {})))
    shipped.close()
    age(repo)
    env = {k: v for k, v in os.environ.items() if k != cache_module.CACHE_ENV}
    env["XDG_CACHE_HOME"] = str(home)
    out = kpolicy("lint", "-f", "json", "k8s/d.yaml", cwd=repo, env=env)
    assert out.returncode == 1
    assert findings(out.stdout) == ["schema-type-mismatch"]
    assert "inside the repository of the working folder" in out.stderr


# -- 4. cache hashing: loops, the whole file system, huge files -------------------------------

POLICY = """\
id: team-label
title: Workloads carry a team label
severity: warning
kinds: [Deployment]
target: metadata
message: the object has no team label
rationale: The on-call rota is found from the team label.
remediation: Add a team label.
check:
  required: [labels]
  properties:
    labels:
      required: [team]
examples:
  - bad: |
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: x}
    good: |
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: x, labels: {team: a}}
"""


def test_self_symlinks_in_a_policy_folder_do_not_hang(repo: Path) -> None:
    policies = repo / "policies"
    policies.mkdir()
    (policies / "team-label.yaml").write_text(POLICY)
    (policies / "a").symlink_to(".")
    (policies / "b").symlink_to(".")
    (policies / "c").symlink_to("../policies")
    age(repo)
    for _ in range(2):  # recorded, then replayed: both hash the folder
        out = kpolicy("lint", "-f", "json", "--policy", "policies", "k8s", cwd=repo, timeout=60)
        assert out.returncode == 1, out.stderr
        assert sorted(findings(out.stdout)) == ["selector-mismatch", "team-label"]
    started = time.monotonic()
    state = cache_module._tree_state(str(policies), (".yaml",), True)
    assert state is not None and time.monotonic() - started < 5
    # a policy file that links to itself cannot be read: one line, no hang
    (policies / "loop.yaml").symlink_to("loop.yaml")
    out = kpolicy("lint", "--policy", "policies", "k8s", cwd=repo, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("kpolicy: error: policies/loop.yaml: cannot read")
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("config", "pointer"),
    [
        ("policies: [/]\n", "policies entry '/'"),
        ("rules: {}\npolicies:\n  - ../outside\n", "policies entry '../outside'"),
        ("policies: [linked]\n", "policies entry 'linked'"),
        ("exclude:\n  - generated/*\n  - ../*\n", "exclude pattern '../*'"),
    ],
)
def test_config_paths_cannot_leave_the_config_folder(repo: Path, config: str, pointer: str) -> None:
    """`policies: [/]` would hash (and load from) the whole file system; a config's paths
    stay inside the folder that holds it, links resolved, or it is a config error at its
    line. The command line can still name anything."""
    (repo.parent / "outside").mkdir()
    (repo.parent / "outside" / "team-label.yaml").write_text(POLICY)
    (repo / "linked").symlink_to(repo.parent / "outside")
    (repo / ".kpolicy.yaml").write_text(config)
    out = kpolicy("lint", "k8s", cwd=repo, timeout=60)
    assert out.returncode == 2
    line = (
        config.splitlines().index(
            next(text for text in config.splitlines() if pointer.split("'")[1] in text)
        )
        + 1
    )
    message = out.stderr.strip()
    assert message.startswith(f"kpolicy: error: {repo / '.kpolicy.yaml'}:{line}:"), message
    assert pointer in message and len(message.splitlines()) == 1
    (repo / ".kpolicy.yaml").unlink()
    named = kpolicy("lint", "--policy", str(repo.parent / "outside"), "k8s", cwd=repo)
    assert named.returncode == 1 and "team-label" in named.stdout


def test_config_paths_in_pyproject_are_bounded_too(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.kpolicy]\npolicies = ["/"]\n')
    out = kpolicy("lint", "k8s", cwd=repo, timeout=60)
    assert out.returncode == 2
    assert f"{repo / 'pyproject.toml'}:2:" in out.stderr and "policies entry '/'" in out.stderr


def test_the_cache_never_reads_past_the_size_limit(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file far over the size limit is refused by the run; the cache records its size
    without reading a byte of it, and a file that grows past the limit while hashed stops
    the hashing."""
    big = repo / "k8s" / "big.yaml"
    with big.open("wb") as out:
        out.truncate(64 << 20)  # 64 MiB (sparse)
    age(repo)
    read: list[int] = []
    real = cache_module.hash_stream

    def counting(path: str, handle: Any, limit: int) -> str | None:
        class Counted:
            def read(self, size: int) -> bytes:
                data: bytes = handle.read(size)
                read.append(len(data))
                return data

        return real(path, Counted(), limit)

    monkeypatch.setattr(cache_module, "hash_stream", counting)
    state, signature = cache_module._file_state(str(big), None, 1 << 20)
    assert state == f"over the limit of {1 << 20} bytes: {64 << 20}" and signature is not None
    assert read == []
    # a file longer than its size says (a /proc file says 0, a file grows): hashing stops
    # past the limit, and the state is unknown (no entry is recorded)
    assert cache_module.hash_stream("grows", io.BytesIO(b"a" * (5 << 20)), 10) is None
    assert read == [1 << 20]  # one chunk read, and no more once past the limit
    state, _ = cache_module._file_state(str(repo / "k8s" / "web.yaml"), None, 10)
    assert state == f"over the limit of 10 bytes: {len(BAD)}"


# -- 5. walking folders ----------------------------------------------------------------------

SECRET_TOKEN = "s3cr3t-token-4242"


def test_a_symlink_to_a_file_outside_the_walked_root_is_not_read(repo: Path) -> None:
    outside = repo.parent / "outside"
    outside.mkdir()
    (outside / "secrets.yaml").write_text(
        textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: {SECRET_TOKEN}}}
        spec:
          selector: {{matchLabels: {{app: a}}}}
          template: {{metadata: {{labels: {{app: b}}}}, spec: {{containers: []}}}}
        """)
    )
    (repo / "k8s" / "leak.yaml").symlink_to(outside / "secrets.yaml")
    (repo / "k8s" / "root").symlink_to("/")
    (repo / "k8s" / "etc").symlink_to("/etc")
    (repo / "k8s" / "kmsg.yaml").symlink_to("/proc/kmsg")
    (repo / "k8s" / "inside.yaml").symlink_to("web.yaml")  # inside the root: one file
    age(repo)
    for fmt in ("json", "text", "sarif", "github"):
        out = kpolicy("lint", "-f", fmt, "k8s", cwd=repo, timeout=60)
        assert out.returncode == 1, out.stderr
        assert SECRET_TOKEN not in out.stdout + out.stderr
    summary = json.loads(kpolicy("lint", "-f", "json", "k8s", cwd=repo).stdout)["summary"]
    assert summary["files"] == 1
    skipped: list[Skipped] = []
    files, errors = discover([str(repo / "k8s")], skipped=skipped)
    assert errors == [] and len(files) == 1  # inside.yaml and web.yaml are one file
    assert sorted(Path(s.display).name for s in skipped) == [
        "etc",
        "kmsg.yaml",
        "leak.yaml",
        "root",
    ]
    assert all("outside" in s.reason and "not followed" in s.reason for s in skipped)
    # named on the command line, a file is read as given
    named = kpolicy("lint", "-f", "json", "k8s/leak.yaml", cwd=repo)
    assert SECRET_TOKEN in named.stdout


# -- 6. FIFOs and devices --------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_named_anywhere_is_a_one_line_error(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "schemas").mkdir(parents=True)
    (work / "web.yaml").write_text(BAD)
    os.mkfifo(work / "fifo.yaml")
    os.mkfifo(work / "schemas" / "widget_v1.json")
    os.mkfifo(work / "policy.yaml")
    cases = [
        ("lint", "fifo.yaml"),
        ("lint", "--nodes", "fifo.yaml", "web.yaml"),
        ("lint", "--config", "fifo.yaml", "web.yaml"),
        ("lint", "--policy", "policy.yaml", "web.yaml"),
        ("lint", "--context", "fifo.yaml", "web.yaml"),
        ("plan", "fifo.yaml"),
        ("plan", "--nodes", "fifo.yaml", "web.yaml"),
        ("plan", "--config", "fifo.yaml", "web.yaml"),
    ]
    for args in cases:
        out = kpolicy(*args, cwd=work, timeout=60)
        assert out.returncode == 2, (args, out.stderr)
        errors = [line for line in out.stderr.splitlines() if line.startswith("kpolicy: error:")]
        assert len(errors) == 1 and "Traceback" not in out.stderr, (args, out.stderr)
    # a FIFO inside --schema-dir is skipped, not read
    out = kpolicy("lint", "--schema-dir", "schemas", "web.yaml", cwd=work, timeout=60)
    assert out.returncode == 1 and "selector-mismatch" in out.stdout


def test_a_fifo_in_the_language_servers_workspace_is_not_read(tmp_path: Path) -> None:
    from kpolicy.lsp.project import Project

    (tmp_path / "web.yaml").write_text(BAD)
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "kmsg.yaml").symlink_to("/proc/kmsg")
    project = Project(tmp_path)
    project.load()  # returns: neither is read
    assert project.files_changed(
        [(tmp_path / "fifo.yaml", False), (tmp_path / "kmsg.yaml", False)]
    ) == (False, False)
    assert set(project._disk) == {"web.yaml"}


# -- 7. plan --base --------------------------------------------------------------------------

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""


@pytest.fixture
def scaled_repo(tmp_path: Path) -> Path:
    """A repository whose last commit runs 4 replicas; the working tree scales to 40."""
    root = tmp_path / "scaled"
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / "web.yaml").write_text(DEPLOYMENT.format(replicas=4))
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "v1")
    git(root, "branch", "base")  # what CI compares with (origin/main, say)
    (root / "deploy" / "web.yaml").write_text(DEPLOYMENT.format(replicas=40))
    return root


def _bare_repository_with(folder: Path, manifest: str, scratch: Path) -> None:
    """Fill ``folder`` with a bare repository whose HEAD holds web.yaml = ``manifest``."""
    bare = scratch / "bare.git"
    git(scratch, "init", "-q", "--bare", str(bare))
    tree = scratch / "tree"
    tree.mkdir()
    (tree / "web.yaml").write_text(manifest)
    git(tree, f"--git-dir={bare}", f"--work-tree={tree}", "add", "web.yaml")
    git(tree, f"--git-dir={bare}", f"--work-tree={tree}", "commit", "-q", "-m", "spoof")
    git(tree, f"--git-dir={bare}", "branch", "base")  # the name CI compares with
    # with a work tree of its own (itself), `git rev-parse --show-toplevel` accepts it
    git(tree, f"--git-dir={bare}", "config", "core.bare", "false")
    git(tree, f"--git-dir={bare}", "config", "core.worktree", ".")
    for item in bare.iterdir():
        (shutil.copytree if item.is_dir() else shutil.copyfile)(item, folder / item.name)


def test_plan_base_names_the_commit(scaled_repo: Path) -> None:
    head = git(scaled_repo, "rev-parse", "HEAD")
    out = kpolicy("plan", "deploy", "--base", "HEAD", "--format", "json", cwd=scaled_repo)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["comparedWith"] == {
        "git": "HEAD",
        "commits": [{"repository": str(scaled_repo.resolve()), "commit": head}],
    }
    assert doc["workloads"][0]["change"] == "scale"
    text = kpolicy("plan", "deploy", "--base", "HEAD", cwd=scaled_repo).stdout
    assert f"compared with git HEAD (commit {head[:12]})" in text


def test_a_bare_repository_inside_the_linted_tree_cannot_supply_the_base(
    scaled_repo: Path, tmp_path: Path
) -> None:
    """The pull request commits a bare repository's files into deploy/ itself, whose branch
    `base` already has 40 replicas: git run in deploy/ would take it for the repository, and
    a real 4 → 40 scale-up from the real `base` would be planned as "no change". kpolicy
    refuses it."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    _bare_repository_with(scaled_repo / "deploy", DEPLOYMENT.format(replicas=40), scratch)
    git(scaled_repo, "add", ".")
    git(scaled_repo, "commit", "-q", "-m", "the pull request")
    out = kpolicy("plan", "deploy", "--base", "base", "--format", "json", cwd=scaled_repo)
    assert out.returncode == 2, out.stdout
    message = out.stderr.strip()
    assert "lies inside the linted files" in message and "deploy" in message
    assert len(message.splitlines()) == 1
    # the same repository named by GIT_DIR from the environment
    env = {**os.environ, "GIT_DIR": str(scaled_repo / "deploy")}
    out = kpolicy("plan", "deploy", "--base", "HEAD", cwd=scaled_repo, env=env)
    assert (
        out.returncode == 2 and "GIT_DIR" in out.stderr and "inside the linted files" in out.stderr
    )


# -- 8. --nodes ------------------------------------------------------------------------------

DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
        - name: agent
          image: agent:1
"""


@pytest.mark.parametrize("nodes", ["nodes-broken.yaml", "nodes-not-nodes.yaml"])
@pytest.mark.parametrize("command", ["lint", "plan"])
def test_a_broken_nodes_file_is_a_usage_error(tmp_path: Path, nodes: str, command: str) -> None:
    (tmp_path / "ds.yaml").write_text(DAEMONSET)
    shutil.copyfile(HOSTILE / nodes, tmp_path / "nodes.yaml")
    out = kpolicy(command, "--nodes", "nodes.yaml", "ds.yaml", cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    message = out.stderr.strip()
    assert (
        message.startswith("kpolicy: error: --nodes nodes.yaml") and len(message.splitlines()) == 1
    )


# -- 9. internal errors ----------------------------------------------------------------------

DRIVER = """\
import os, signal, sys
import kpolicy.lint as lint
import kpolicy.lint.run as lint_run
{patch}
from kpolicy.entry import main
sys.argv = ["kpolicy", *sys.argv[1:]]
main()
"""
KILL_WORKERS = """\
parent = os.getpid()
real = lint_run.read_input
def read_input(*args, **kwargs):
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer does
    return real(*args, **kwargs)
lint_run.read_input = read_input
"""
CRASH = """\
def check_files(*args, **kwargs):
    raise RuntimeError("deliberate failure outside any rule")
lint.check_files = check_files
"""


def driver(tmp_path: Path, patch: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(patch=patch))
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        timeout=TIMEOUT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no worker processes on this system")
def test_a_killed_worker_is_an_internal_error(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for index in range(16):
        (inputs / f"web{index}.yaml").write_text(
            ("---\n" + BAD.replace("name: web", f"name: web{index}")) * 100
        )
    out = driver(tmp_path, KILL_WORKERS, "lint", "--no-cache", "-j", "2", "in")
    assert out.returncode == 3, out.stderr
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("kpolicy: internal error: worker process ")
    assert "was killed by SIGKILL" in lines[0]


def test_an_internal_crash_exits_3_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(BAD)
    out = driver(tmp_path, CRASH, "lint", "--no-cache", "web.yaml")
    assert out.returncode == 3
    assert out.stderr.strip() == (
        "kpolicy: internal error: RuntimeError: deliberate failure outside any rule; this is a "
        "bug in kpolicy (run again with --debug for the traceback)"
    )
    debug = driver(tmp_path, CRASH, "lint", "--debug", "web.yaml")
    assert debug.returncode == 3
    assert "Traceback" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("kpolicy: internal error: RuntimeError")


def test_findings_usage_errors_and_internal_errors_have_distinct_codes(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(BAD)
    assert kpolicy("lint", "--no-cache", "web.yaml", cwd=tmp_path).returncode == 1
    assert kpolicy("lint", "--no-cache", "missing.yaml", cwd=tmp_path).returncode == 2
    assert driver(tmp_path, CRASH, "lint", "--no-cache", "web.yaml").returncode == 3


def test_killed_message_names_the_signal() -> None:
    from kpolicy.parallel import _killed_message

    assert "killed by SIGTERM" in _killed_message(7, signal.SIGTERM)
    assert "out-of-memory" in _killed_message(7, signal.SIGKILL)
