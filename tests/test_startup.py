"""Issue 20, start-up: what a one-file ``kpolicy lint`` (a pre-commit hook on one staged file)
imports, held here so that a module pulled in at start-up cannot come back unnoticed. No
timing assertions: the modules a run imports are what its start-up costs (``make bench``
measures it), and each one named below cost that run milliseconds."""

from __future__ import annotations

import importlib
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml

from kpolicy import patterns
from kpolicy.records import RECORDS
from tests.conftest import ROOT

SMALL_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:latest
          imagePullPolicy: IfNotPresent
          ports: [{name: http, containerPort: 8080}]
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 256Mi}
"""


def _run_main(args: list[str], cwd: Path, report: str) -> tuple[str, str]:
    """Run ``kpolicy ARGS`` through its entry point in a new interpreter, then ``report`` (a
    statement that writes what it reports to stderr): what it reported, and the run's stdout."""
    script = (
        "import sys\n"
        f"sys.argv = ['kpolicy', *{args!r}]\n"
        "from kpolicy.entry import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\n@@')\n"
        f"{report}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"KPOLICY_CACHE_DIR": str(cwd / "cache"), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return done.stderr.rpartition("\n@@")[2], done.stdout


def _imported_by(args: list[str], cwd: Path) -> tuple[set[str], str]:
    """The modules ``kpolicy ARGS`` has imported when it exits, and its stdout."""
    reported, out = _run_main(args, cwd, "sys.stderr.write(' '.join(sorted(sys.modules)))")
    return set(reported.split()), out


# what a one-file run without config, policy, chart or kustomization must not import, and why
NOT_AT_START_UP = {
    "typer": "the CLI framework: plain lint command lines are parsed by kpolicy.fastcli",
    "click": "typer's",
    "lsprotocol": "the language server's",
    "ruamel": "the round-trip YAML of --fix",
    "regex": "user patterns only: the bundled rules' patterns run on re",
    "jsonschema": "policies and --schema-dir only",
    "sarif_om": "the SARIF writer's",
    "kpolicy.report.sarif": "another format's writer",
    "kpolicy.report.text": "another format's writer",
    "kpolicy.plan": "kpolicy plan",
    "kpolicy.fix.run": "--fix and --diff",
    "hashlib": "OpenSSL: SARIF fingerprints and baselines only",
    "tempfile": "through importlib.resources: the time zone list of CronJobs, from a zipped tzdata",
    "importlib.resources": "the time zone list of CronJobs, from a zipped tzdata",
    "kpolicy.k8s.cron": "CronJobs only",
    "kpolicy.k8s.timezone": "CronJobs only",
    "kpolicy.k8s.scheduling": "DaemonSets only, most of it with --nodes",
    "pathspec": "an ignore file with patterns only (the run is outside a git work tree)",
    "threading": "the worker feeder of a parallel run only",
    "traceback": "--debug and worker errors only",
    "difflib": "did-you-mean suggestions only",
    "pickle": "packing a CRD for the parent of a parallel run, and the run cache, only",
    "kpolicy.cache": "the run cache, which --no-cache turns off",
    "dataclasses": "records are defined without it (with inspect, 7 ms)",
    "inspect": "imported by dataclasses and pkgutil.iter_modules: neither is used",
    "fractions": "parse_quantity only: the checks read quantities as whole nanos (2 ms, with decimal)",
    "decimal": "fractions'",
    "copy": "kustomize's applied labels and images, defaults of values that are not plain",
    "typing": "annotations only: the lint path imports its names under TYPE_CHECKING (2-3 ms)",
    "numbers": "a schema's number that is neither int nor float (Decimal) only",
    "binascii": "base64 values of the byte format only",
    "datetime": "an exemption's until (and SARIF's time stamps) only (1-1.5 ms)",
    "kpolicy.baseline": "--baseline and --write-baseline only",
    "pathlib": "names are strings on the lint path: a Path is made where a path option is given",
    "urllib": "pathlib's, and SARIF's URIs (escape.uri_path)",
    "ipaddress": "urllib.parse's (with it and pathlib, 3 ms)",
    "importlib": "the check modules and writers are imported with __import__ (2M instructions)",
    "warnings": "importlib's",
    "contextlib": "parallel's suppress is a try, podtemplates' context a class (3M instructions)",
    "bisect": "a suppression comment's chunk scanned for scalars only",
    "kpolicy.kustomize": "a kustomization, --kustomize only (kpolicy.kustomizenames answers the rest)",
    "fnmatch": "the globs of exemptions, policies' match and Compose files' names only",
}


def test_the_venv_starts_without_distutils_hack() -> None:
    """`make` removes setuptools' distutils-precedence.pth from its venv: it imported
    _distutils_hack at every start of the venv's interpreter (every ``kpolicy`` command), for
    ``import distutils``, which nothing here does."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("not run in the venv that make makes")
    done = subprocess.run(
        [sys.executable, "-c", "import sys; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "_distutils_hack" not in done.stdout
    assert "'site'" in done.stdout  # the .pth files were read


def test_the_venv_install_wrote_kpolicys_bytecode() -> None:
    """`make` compiles kpolicy's modules as it installs: where PYTHONDONTWRITEBYTECODE is set,
    an editable install would otherwise compile every module from source at every start."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("not run in the venv that make makes")
    import importlib.util

    stale = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "kpolicy").rglob("*.py"))
        if "__pycache__" not in path.parts
        and not Path(importlib.util.cache_from_source(str(path))).is_file()
    ]
    assert not stale, f"no bytecode written for {stale[:5]}"


def _offending(modules: set[str], table: dict[str, str] = NOT_AT_START_UP) -> dict[str, str]:
    return {
        name: why
        for name, why in table.items()
        if name in modules or any(m.startswith(name + ".") for m in modules)
    }


def test_one_file_lint_imports_only_what_it_uses(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(SMALL_DEPLOYMENT)
    modules, out = _imported_by(
        ["lint", "--no-cache", "--format", "json", "--fail-on", "never", "d.yaml"], tmp_path
    )
    # the run did lint: the rule with the bundled pattern fired
    found = {d["rule"] for d in json.loads(out)["diagnostics"]}
    assert "image-pull-policy-not-always-with-latest" in found
    assert "kpolicy.report.json_report" in modules
    assert _offending(modules) == {}
    # its data classes are records (kpolicy.records: a third of a dataclass's cost to define)
    plain = [
        f"{name}.{cls.__qualname__}"
        for name in sorted(m for m in modules if m.startswith("kpolicy"))
        for cls in vars(importlib.import_module(name)).values()
        if isinstance(cls, type)
        and cls.__module__ == name
        and "__dataclass_fields__" in cls.__dict__
        and cls not in RECORDS
    ]
    assert plain == []


def test_one_file_lint_in_the_default_format_imports_only_what_it_uses(tmp_path: Path) -> None:
    """The text format, a plain ``kpolicy lint FILE``'s: its writer imports typing's names for
    annotations only (typing, with contextlib, 2-3 ms)."""
    (tmp_path / "d.yaml").write_text(SMALL_DEPLOYMENT)
    modules, out = _imported_by(["lint", "--no-cache", "--fail-on", "never", "d.yaml"], tmp_path)
    assert "image-pull-policy-not-always-with-latest" in out
    assert "kpolicy.report.text" in modules
    assert _offending({m for m in modules if m != "kpolicy.report.text"}) == {}


def test_a_parallel_lint_imports_neither_pathlib_nor_pickle_py(tmp_path: Path) -> None:
    """Before the fork every import is serial: a parallel run names its files with strings
    (no pathlib, urllib.parse, ipaddress) and its workers pickle with the C pickler alone
    (``_pickle``, not pickle.py's Python pickler). The session's working folder is still a
    Path where asked (a baseline, fixes)."""
    documents = [
        SMALL_DEPLOYMENT.replace("name: web\n", f"name: web{index}\n") for index in range(80)
    ]
    for number in range(8):  # past parallel.MIN_PARALLEL_BYTES and MIN_PARALLEL_FILES
        (tmp_path / f"d{number}.yaml").write_text("---\n".join(documents))
    modules, out = _imported_by(
        ["lint", "--no-cache", "--format", "json", "--fail-on", "never", "-j", "2", "."], tmp_path
    )
    assert "selectors" in modules  # the parent gathered a worker's answers
    assert len(json.loads(out)["diagnostics"]) >= 8 * 80
    assert {"pathlib", "urllib.parse", "ipaddress", "pickle"} & modules == set()
    assert "_pickle" in modules
    assert {"contextlib", "importlib", "typing"} & modules == set()


def test_the_session_folder_is_a_string_and_its_cwd_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpolicy.lint import LintOptions, build_session

    monkeypatch.chdir(tmp_path)
    session = build_session(LintOptions())
    assert session.folder == os.getcwd()
    assert session.cwd == Path.cwd()
    (tmp_path / "sub").mkdir()
    session = build_session(LintOptions(cwd=tmp_path / "sub"))
    assert session.folder == str(tmp_path / "sub")
    assert session.cwd == tmp_path / "sub"


SMALL_CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "0 6 * * *"
  timeZone: Europe/Kyyiv
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: registry.example.com/report:1.0
"""


def test_one_file_lint_of_a_cronjob_reads_its_time_zones_without_typing(tmp_path: Path) -> None:
    """A CronJob's time zone is judged against tzdata's zone list, read without
    importlib.resources (and its tempfile, shutil, zipfile); its modules (kpolicy.k8s.cron,
    kpolicy.k8s.timezone) import typing's names for annotations only. Every worker process
    of a run that reads a CronJob paid both."""
    (tmp_path / "c.yaml").write_text(SMALL_CRONJOB)
    modules, out = _imported_by(
        ["lint", "--no-cache", "--format", "json", "--fail-on", "never", "c.yaml"], tmp_path
    )
    messages = [d["message"] for d in json.loads(out)["diagnostics"]]
    assert any("unknown time zone Europe/Kyyiv" in m for m in messages), messages
    assert {"kpolicy.k8s.cron", "kpolicy.k8s.timezone", "tzdata"} <= modules
    assert {"typing", "importlib.resources", "tempfile"} & modules == set()


def test_a_cronjob_without_a_schedule_to_parse_imports_neither_parser_nor_zones(
    tmp_path: Path,
) -> None:
    """The cron parser and the time zone list are imported where a CronJob has a schedule
    to parse (or a time zone to judge), not for every CronJob: one whose schedule is missing
    or not a string imports neither (both were imported by each worker process that read
    such a CronJob, the many-findings bench corpus's three among them), and is judged the
    same."""
    wrong_type = SMALL_CRONJOB.replace('"0 6 * * *"', "9").replace("  timeZone: Europe/Kyyiv\n", "")
    (tmp_path / "c.yaml").write_text(wrong_type)
    args = ["lint", "--no-cache", "--format", "json", "--fail-on", "never", "c.yaml"]
    modules, out = _imported_by(args, tmp_path)
    assert {"kpolicy.k8s.cron", "kpolicy.k8s.timezone", "tzdata"} & modules == set()
    rules = {d["rule"] for d in json.loads(out)["diagnostics"]}
    assert "schema-type-mismatch" in rules, rules  # the schema rule reports the number
    assert "cronjob-schedule-invalid" not in rules
    # a time zone without a schedule: judged, without the cron parser
    (tmp_path / "c.yaml").write_text(SMALL_CRONJOB.replace('  schedule: "0 6 * * *"\n', ""))
    modules, out = _imported_by(args, tmp_path)
    messages = [d["message"] for d in json.loads(out)["diagnostics"]]
    assert any("unknown time zone Europe/Kyyiv" in m for m in messages), messages
    assert "kpolicy.k8s.cron" not in modules
    assert {"kpolicy.k8s.timezone", "tzdata"} <= modules


def test_a_suggested_field_name_imports_neither_difflib_nor_string(tmp_path: Path) -> None:
    """A did-you-mean for an unknown field (kpolicy.suggest, difflib's answer without difflib)
    and a message filled in (kpolicy.policy._fill, without string): each imported both in
    every worker process that had one (the bench corpora do, 1-2 ms in each)."""
    typo = SMALL_DEPLOYMENT.replace("  replicas: 3\n", "  replcias: 3\n  Paused: true\n")
    (tmp_path / "d.yaml").write_text(typo)
    modules, out = _imported_by(
        ["lint", "--no-cache", "--format", "json", "--fail-on", "never", "d.yaml"], tmp_path
    )
    messages = [d["message"] for d in json.loads(out)["diagnostics"]]
    assert any('unknown field "replcias", did you mean "replicas"?' in m for m in messages)
    assert any('unknown field "Paused", did you mean "paused"?' in m for m in messages)
    assert "kpolicy.suggest" in modules
    assert {"difflib", "heapq", "string"} & modules == set()


# the patterns (kpolicy.lazyre) a one-file run of a Deployment without comments must not
# compile: each serves input it does not have (compiling one costs 10-300 µs)
NOT_COMPILED_AT_START_UP = {
    "kpolicy.escape._UNSAFE": "control and bidi characters in a value shown (300 µs)",
    "kpolicy.escape._COMMAND": "workflow commands in the GitHub format",
    "kpolicy.helm._SOURCE": "Helm output's # Source: comments",
    "kpolicy.helm._KEY": "a chart template's lines",
    "kpolicy.suppress._DIRECTIVE": "# kpolicy: ignore comments",
    "kpolicy.baseline._LINE_NUMBER": "--baseline",
    "kpolicy.checks.batch._HTTP_PATH": "Jobs' managedBy",
}


def test_one_file_lint_compiles_only_the_patterns_it_uses(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(SMALL_DEPLOYMENT)
    names = sorted(NOT_COMPILED_AT_START_UP)
    report = (
        "import importlib\n"
        f"for name in {names!r}:\n"
        "    module, _, attribute = name.rpartition('.')\n"
        "    pattern = getattr(importlib.import_module(module), attribute)\n"
        "    if 'match' in vars(pattern):\n"
        "        sys.stderr.write(name + ' ')"
    )
    compiled, out = _run_main(
        ["lint", "--no-cache", "--format", "json", "--fail-on", "never", "d.yaml"], tmp_path, report
    )
    assert json.loads(out)["diagnostics"]
    assert compiled.split() == []


C_LOADER = pytest.mark.skipif(
    importlib.import_module("kpolicy.load")._load_chunk is None,
    reason="the C loader is not built or KPOLICY_PURE_PYTHON is set: the composer reads every chunk",
)


@C_LOADER
def test_one_file_lint_reads_without_pyyaml(tmp_path: Path) -> None:
    """The C loader reads a plain Deployment: PyYAML (a tenth of the run: yaml.reader compiles
    a pattern of every printable character) and the composer (kpolicy.compose, the go-yaml
    resolver table) are imported only for a chunk the C loader leaves, as one with an
    anchor; the run then reads it as before."""
    (tmp_path / "d.yaml").write_text(SMALL_DEPLOYMENT)
    modules, out = _imported_by(
        ["lint", "--no-cache", "--format", "json", "--fail-on", "never", "d.yaml"], tmp_path
    )
    assert json.loads(out)["diagnostics"]
    assert {"yaml", "kpolicy.compose"} & modules == set()
    # a shell script's `&&` and `*` are no anchor and alias: still the C loader's
    script = "\n".join(
        [
            "apiVersion: v1",
            "kind: ConfigMap",
            "metadata: {name: script}",
            "data:",
            "  run.sh: |",
            "    make && ls *.yaml",
            "",
        ]
    )
    (tmp_path / "c.yaml").write_text(script)
    modules, out = _imported_by(
        ["lint", "--no-cache", "--format", "json", "--fail-on", "never", "c.yaml"], tmp_path
    )
    assert {"yaml", "kpolicy.compose"} & modules == set()
    anchored = SMALL_DEPLOYMENT.replace("labels: {app: web}\nspec", "labels: &l {app: web}\nspec")
    anchored = anchored.replace("matchLabels: {app: web}", "matchLabels: *l")
    assert anchored.count("*l") == 1
    (tmp_path / "a.yaml").write_text(anchored)
    modules, out = _imported_by(
        ["lint", "--no-cache", "--format", "json", "--fail-on", "never", "a.yaml"], tmp_path
    )
    assert {"yaml", "kpolicy.compose"} <= modules
    found = json.loads(out)["diagnostics"]
    assert found and all(d["file"] == "a.yaml" for d in found)
    assert "selector-mismatch" not in {d["rule"] for d in found}


def test_one_file_lint_compiles_no_record_code(tmp_path: Path) -> None:
    """The ``__init__`` of every record it makes is code unmarshalled with kpolicy
    (kpolicy/_record_shapes.py), not text compiled at the start (40-90 µs a shape)."""
    (tmp_path / "d.yaml").write_text(SMALL_DEPLOYMENT)
    report = (
        "from kpolicy import records\n"
        "sys.stderr.write(' '.join(repr(key) for key, code in records._SHAPES.items()"
        " if code.co_filename == '<string>'))\n"
        "sys.stderr.write(f' @{len(records._SHAPES)}')"
    )
    compiled, _ = _run_main(
        ["lint", "--no-cache", "--format", "json", "--fail-on", "never", "d.yaml"], tmp_path, report
    )
    listed, _, count = compiled.rpartition("@")
    assert int(count) > 10  # the run made records of many shapes
    assert listed.strip() == ""


def _rule_patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            if key == "patternProperties" and isinstance(value, dict):
                yield from value
            yield from _rule_patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _rule_patterns(item)


def test_bundled_linear_patterns_are_the_rules_patterns() -> None:
    """Every pattern of a bundled rule's check runs on ``re``: a new one must be added to
    BUNDLED_LINEAR, after checking that it has no nested or overlapping repetition (else
    ``regex`` is imported at every start again)."""
    found: set[str] = set()
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        found.update(_rule_patterns(data.get("check")))
    assert found == patterns.BUNDLED_LINEAR


def test_bundled_linear_patterns_match_as_on_regex() -> None:
    """re and regex (ECMA-like: ASCII, ``$`` at the very end) agree on the bundled patterns."""
    alphabet = "ab/:@.-_9\n\u0663é" + "latest"
    rng = random.Random(20)
    samples = [
        "nginx",
        "nginx:latest",
        "nginx:latest\n",
        "registry.example.com/shop/web:latest",
        "registry.example.com:5000/web:latest",
        "web@sha256:abc",
        "a/b/c:latest:latest",
        "",
        *("".join(rng.choice(alphabet) for _ in range(rng.randrange(12))) for _ in range(3000)),
    ]
    for source in patterns.BUNDLED_LINEAR:
        bounded = patterns.BoundedPattern(source)
        reference = regex.compile(patterns._translate(source), regex.ASCII)
        for text in samples:
            assert bounded.search(text) == (reference.search(text) is not None), (source, text)


# what a replayed run (the cache has it, nothing changed) must not import: it hashes the
# inputs and prints, and imports nothing of the pipeline
NOT_IN_A_REPLAY = {
    **{name: why for name, why in NOT_AT_START_UP.items() if name != "kpolicy.cache"},
    "yaml": "nothing is parsed",
    "kpolicy.model": "the pipeline's",
    "kpolicy.lint": "the pipeline",
    "kpolicy.repo": "the repository model (the folder walk needs only kpolicy.gitignore)",
    "kpolicy.report": "the report is replayed as recorded",
    "pathspec": "no ignore file with patterns around the linted folder",
    "typing": "annotations only (2 ms of a replay)",
    "pathlib": "a replay names files with strings (4 ms, with urllib.parse and ipaddress)",
    "fnmatch": "exclude globs only",
    "urllib": "pathlib's",
    "ipaddress": "pathlib's, through urllib.parse",
    "json": "entries are read by json's C scanner (_json): json compiles regular expressions",
    "re": "no pattern is matched (json, fnmatch and pathlib imported it)",
    "enum": "re's",
    "contextlib": "with functools and collections: a tenth of a replay above the interpreter",
    "functools": "contextlib's and collections.abc's (kpolicy.fsutil.memo is its cache)",
    "collections": "collections.abc's: the annotations' names are imported for mypy only",
    "importlib.util": "the code fingerprint finds its dependencies by the import system's search",
}


def test_replayed_lint_imports_nothing_of_the_pipeline(tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    for index in range(3):
        path = folder / f"d{index}.yaml"
        path.write_text(SMALL_DEPLOYMENT.replace("name: web", f"name: web{index}"))
        # a file changed in the last two seconds is never recorded (it could change unseen)
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    args = ["lint", "--format", "json", "--fail-on", "never", "manifests"]
    recorded, first = _imported_by(args, tmp_path)
    assert "kpolicy.lint" in recorded
    replayed, again = _imported_by(args, tmp_path)
    assert again == first
    assert _offending(replayed, NOT_IN_A_REPLAY) == {}


# every module a replay imports beyond the interpreter's own start (site and what it imports):
# each one costs it finding, reading and running (kpolicy.cache's own the most)
A_REPLAYS_MODULES = {
    "kpolicy",
    "kpolicy.entry",
    "kpolicy.cache",
    "kpolicy.fsutil",
    "kpolicy.discover",
    "__future__",  # the annotations of those (as strings: cheaper than evaluating them)
    "gc",  # the entry turns the collector off
    "errno",
    "_blake2",  # the MACs and digests, without hashlib (OpenSSL)
    "_json",  # json's C scanner, without json (re)
    "_operator",  # compare_digest, without hmac (OpenSSL)
}


_REPLAY_ARGS = ["lint", "--format", "json", "--fail-on", "never", "manifests"]


def _replayed_one_file(tmp_path: Path) -> set[str]:
    """The modules a replayed lint of one old file under ``tmp_path`` imports (the file
    recorded by a first run, whose output the replay repeats)."""
    folder = tmp_path / "manifests"
    folder.mkdir()
    path = folder / "d.yaml"
    path.write_text(SMALL_DEPLOYMENT)
    os.utime(path, (time.time() - 3600, time.time() - 3600))
    _, first = _imported_by(_REPLAY_ARGS, tmp_path)
    replayed, again = _imported_by(_REPLAY_ARGS, tmp_path)
    assert again == first
    return replayed


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="CPython's own modules")
def test_a_replay_imports_exactly_these_modules(tmp_path: Path) -> None:
    replayed = _replayed_one_file(tmp_path)
    bare = subprocess.run(
        [sys.executable, "-c", "import sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"KPOLICY_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout.split()
    # and the C extension where it walks folders (kpolicy.discover.compiled_walk), not the
    # array module it loads documents with
    try:
        walks = hasattr(importlib.import_module("kpolicy._cload"), "list_folder")
    except ImportError:
        walks = False
    assert replayed - set(bare) == A_REPLAYS_MODULES | ({"kpolicy._cload"} if walks else set())


def _collector_after(args: list[str], cwd: Path) -> tuple[bool, int]:
    """Whether the cyclic collector is on when ``kpolicy ARGS`` returns, and how many objects
    it froze."""
    report = "import gc; sys.stderr.write(f'{gc.isenabled()} {gc.get_freeze_count()}')"
    enabled, frozen = _run_main(args, cwd, report)[0].split()
    return enabled == "True", int(frozen)


def test_a_lint_runs_without_the_cyclic_collector(tmp_path: Path) -> None:
    """Its passes over the imported modules, and the last one as the process ends, found
    nothing to free and cost a fifth of a one-file run; a command typer runs (the language
    server lives long) keeps it."""
    (tmp_path / "d.yaml").write_text(SMALL_DEPLOYMENT)
    enabled, frozen = _collector_after(["lint", "--no-cache", "d.yaml"], tmp_path)
    assert not enabled
    assert frozen > 10_000  # what the run left is out of the final collection's sight
    enabled, frozen = _collector_after(["rules", "--format", "json"], tmp_path)
    assert enabled
    assert frozen == 0


def test_a_replay_outside_a_work_tree_imports_only_the_modules_it_runs(tmp_path: Path) -> None:
    """Each module costs a replay its import (finding, reading and running it): outside a git
    work tree the folder walk needs no ignore rules, the code fingerprint finds the data
    folders with kpolicy.fsutil, and the config file is found by it too, without the errors
    it may raise. Inside one, the ignore rules are read (and honoured, tests/test_repo.py)."""
    replayed = _replayed_one_file(tmp_path)
    assert {"kpolicy.cache", "kpolicy.discover", "kpolicy.fsutil"} <= replayed
    # the config file is found by kpolicy.fsutil's find_config_file: configfile not imported
    assert not replayed & {
        "kpolicy.gitignore",
        "kpolicy.errors",
        "kpolicy.resources",
        "kpolicy.configfile",
    }
    (tmp_path / ".git").mkdir()
    _, first = _imported_by(_REPLAY_ARGS, tmp_path)
    replayed, again = _imported_by(_REPLAY_ARGS, tmp_path)
    assert again == first and "kpolicy.gitignore" in replayed


def test_the_removed_api_table_is_built_without_a_record_per_row() -> None:
    """kpolicy.k8s.apis's table of removed apiVersions (imported at every start, for
    dispatch_kind) is written as rows that are tuples: a record class for the rows, and a
    record of it made for each of the fifty, were most of importing the module. The table
    read (REMOVED) is as it was: a Removal for each apiVersion and kind of a row."""
    from kpolicy.k8s import apis

    assert [c for c in RECORDS if c.__module__ == "kpolicy.k8s.apis"] == [apis.Removal]
    rows = apis._REMOVALS
    assert rows and all(type(row) is tuple and len(row) == 6 for row in rows)
    made = {
        (api_version, kind): apis.Removal(api_version, kind, removed, replacements, note, source)
        for api_version, kinds, removed, replacements, note, source in rows
        for kind in kinds
    }
    assert made == apis.REMOVED
    removal = apis.REMOVED[("extensions/v1beta1", "PodSecurityPolicy")]
    assert removal.note == "Pod Security Admission took its place"
    assert (removal.removed, removal.replacements, removal.source) == (16, (), "guide")
