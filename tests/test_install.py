"""kpolicy as users install it: the built wheel holds everything kpolicy reads at run time,
and the README's install routes (a wheel, pip from a local path or a git URL, pipx) give a
``kpolicy`` that lints from outside the source tree.

The test that runs with ``make test`` builds the wheel and installs it, without its
dependencies, into a fresh virtual environment that borrows them from the test environment;
the ``slow`` ones (``make test-slow``) install as a user does, dependencies from the index.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_cli import BAD, GOOD

POLICY = """\
id: team-label-required
title: Workloads carry a team label
severity: warning
kinds: [Deployment]
target: metadata
rationale: On-call needs to know who owns a workload.
remediation: Add a team label.
message: the workload has no team label
check:
  type: object
  required: [labels]
  properties:
    labels: {type: object, required: [team]}
examples:
  - bad: |
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
    good: |
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, labels: {team: shop}}
"""


def _env() -> dict[str, str]:
    """The environment without anything that points Python or kpolicy at the checkout."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "KPOLICY_CACHE_DIR"}
    return {k: v for k, v in os.environ.items() if k not in drop} | {"NO_COLOR": "1"}


def _bin(environment: Path, name: str) -> Path:
    folder = environment / ("Scripts" if os.name == "nt" else "bin")
    return folder / (name + (".exe" if os.name == "nt" else ""))


def _build(outdir: Path, *args: str) -> list[Path]:
    done = subprocess.run(
        [sys.executable, "-m", "build", *args, "--outdir", str(outdir), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
        env=_env(),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return sorted(outdir.iterdir())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built with the build backend of the test environment (no download)."""
    (built,) = _build(tmp_path_factory.mktemp("dist"), "--wheel", "--no-isolation")
    assert built.name.startswith("kpolicy-") and built.suffix == ".whl"
    return built


def _project(folder: Path) -> Path:
    """A repository as users have one: manifests, a config, a policy; away from the checkout."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bad.yaml").write_text(BAD)
    (folder / "good.yaml").write_text(GOOD)
    (folder / "policies").mkdir()
    (folder / "policies" / "team-label-required.yaml").write_text(POLICY)
    (folder / ".kpolicy.yaml").write_text('kubernetesVersion: "1.33"\npolicies: [policies/]\n')
    return folder


def _check_installed(kpolicy: Path, project: Path, site: Path | None = None) -> None:
    """Lint (rules, the schema bundle, the config and rule schemas, a policy), list the rules,
    run the built-in rules' own examples, plan: everything that reads kpolicy's data files."""
    assert ROOT not in project.resolve().parents and project.resolve() != ROOT
    env = _env()

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(kpolicy), *args],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
            input=stdin,
        )

    lint = run("lint", "--no-cache", "bad.yaml", "good.yaml")
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert "bad.yaml:6:3: error[selector-mismatch]" in lint.stdout
    assert "warning[team-label-required]" in lint.stdout  # the policy, through the config
    assert "Kubernetes 1.33" in lint.stdout
    wrong_type = GOOD.replace("spec:\n  selector", "spec:\n  replicas: many\n  selector", 1)
    schema = run("lint", "--select", "schema-type-mismatch", "-", stdin=wrong_type)
    assert (
        schema.returncode == 1 and "<stdin>:6:13: error[schema-type-mismatch]" in schema.stdout
    ), schema.stdout + schema.stderr
    rules = run("rules")
    assert rules.returncode == 0 and "selector-mismatch" in rules.stdout, rules.stderr
    assert run("rules", "selector-mismatch").stdout.strip()
    examples = run("test-policies")
    assert examples.returncode == 0, examples.stdout[-2000:] + examples.stderr[-2000:]
    assert run("plan", "good.yaml").returncode == 0
    if site is not None:  # kpolicy came from the environment under test, not the checkout
        where = subprocess.run(
            [
                str(kpolicy.parent / Path(sys.executable).name),
                "-c",
                "import kpolicy, kpolicy.resources as r; print(kpolicy.__file__); "
                "print(r.data_dir('rules')); print(r.data_dir('schemas'))",
            ],
            cwd=project,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        module, rules_dir, schemas_dir = where.stdout.split("\n")[:3]
        for path in (module, rules_dir, schemas_dir):
            assert Path(path).resolve().is_relative_to(site.resolve()), where.stdout
        assert Path(rules_dir).parts[-2:] == ("_data", "rules")


_INSTALL = re.compile(r"\bpipx?\s+install\s+(?P<args>[^#\n]*)")


def test_docs_install_only_what_exists() -> None:
    """Every `pip install` / `pipx install` in the README's and docs' code blocks installs
    kpolicy from its repository, a clone or a built wheel, never a package-index release
    (there is none), and the README shows the routes the slow tests run."""
    commands: list[str] = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
            commands += [m.group("args").strip() for m in _INSTALL.finditer(block)]
        # inline code too: `pipx install ...` in a sentence is a command to copy
        commands += [
            m.group("args").strip()
            for m in re.finditer(r"`pipx?\s+install\s+(?P<args>[^`]*)`", text)
        ]
    assert commands
    allowed = re.compile(
        r'^("?git\+https://github\.com/kpolicy/kpolicy(@[\w.-]+)?"?'
        r"|\./kpolicy|dist/kpolicy-[\w.]+-(py3-none-any|\*)\.whl|build)$"
    )
    for args in commands:
        assert allowed.match(args), f"install command not backed by a release: {args!r}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for route in (
        'pipx install "git+https://github.com/kpolicy/kpolicy"',
        'pip install "git+https://github.com/kpolicy/kpolicy@main"',
        "pip install ./kpolicy",
        "python -m build",
    ):
        assert route in readme, route


def test_wheel_holds_every_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("rules", "schemas"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                relative = path.relative_to(ROOT).as_posix()
                assert f"kpolicy/_data/{relative}" in names, relative
    assert any(n.endswith(".dist-info/licenses/NOTICE") for n in names)
    for package in (
        "kpolicy/checks/__init__.py",
        "kpolicy/report/junit.py",
        "kpolicy/lsp/server.py",
        "kpolicy/k8s/__init__.py",
    ):
        assert package in names
    assert not [n for n in names if n.startswith(("tests/", "examples/", "kpolicy/tests/"))]
    # the C loader (hatch_build.py) where the dev install has it: a platform wheel then
    if list((ROOT / "kpolicy").glob("_cload*.so")):
        assert [n for n in names if re.fullmatch(r"kpolicy/_cload\.[\w.-]+\.so", n)], names
        assert "-py3-none-any" not in wheel.name


@pytest.mark.slow  # a new virtual environment and a pip install
def test_wheel_installed_in_a_fresh_environment_lints(wheel: Path, tmp_path: Path) -> None:
    """The wheel, in a new virtual environment outside the source tree, without the
    checkout: its dependencies are borrowed from the test environment's site-packages (a
    path line in a .pth file, which adds the folder but not its editable install of kpolicy)."""
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=False)
    python = _bin(environment, Path(sys.executable).name)
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(),
    )
    assert install.returncode == 0, install.stdout + install.stderr
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _check_installed(_bin(environment, "kpolicy"), _project(tmp_path / "repo"), site)


# -- as a user installs it (dependencies from the package index) ----------------------------


def _fresh_pip_install(tmp_path: Path, *requirement: str) -> Path:
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = _bin(environment, Path(sys.executable).name)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *requirement],
        capture_output=True,
        text=True,
        timeout=900,
        env=_env(),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return environment


def _site(environment: Path) -> Path:
    python = _bin(environment, Path(sys.executable).name)
    return Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )


@pytest.mark.slow
def test_python_m_build_then_pip_install_the_wheel(tmp_path: Path) -> None:
    """`python -m build` as the README says (an sdist, then the wheel built from it, each in
    an isolated environment), then `pip install` of the wheel into a new environment."""
    built = _build(tmp_path / "dist")
    names = sorted(p.name for p in built)
    assert len(names) == 2 and names[1] == "kpolicy-0.1.0.tar.gz", built
    # a platform wheel with the C loader where it compiles (hatch_build.py), else pure Python
    assert re.fullmatch(r"kpolicy-0\.1\.0-(py3-none-any|cp3\d+-cp3\d+-[\w.]+)\.whl", names[0])
    environment = _fresh_pip_install(tmp_path, str(built[0]))
    _check_installed(_bin(environment, "kpolicy"), _project(tmp_path / "repo"), _site(environment))


def _commit_of_checkout() -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("needs a git checkout of kpolicy")
    return done.stdout.strip()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pip_install_from_a_git_url(tmp_path: Path) -> None:
    """`pip install "git+URL@REV"`, with this repository's committed HEAD as the URL."""
    commit = _commit_of_checkout()
    environment = _fresh_pip_install(tmp_path, f"git+{ROOT.as_uri()}@{commit}")
    _check_installed(_bin(environment, "kpolicy"), _project(tmp_path / "repo"), _site(environment))


@pytest.mark.slow
def test_pip_install_from_a_local_path(tmp_path: Path) -> None:
    copy = tmp_path / "kpolicy-src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "*_cache", ".hypothesis", "__pycache__", "dist", "build"
        ),
    )
    environment = _fresh_pip_install(tmp_path, str(copy))
    _check_installed(_bin(environment, "kpolicy"), _project(tmp_path / "repo"), _site(environment))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pipx_install_from_a_git_url(tmp_path: Path) -> None:
    pytest.importorskip("pipx", reason="pipx is in the dev extras")
    commit = _commit_of_checkout()
    env = _env() | {
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pipx", "install", f"git+{ROOT.as_uri()}@{commit}"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    _check_installed(tmp_path / "bin" / "kpolicy", _project(tmp_path / "repo"))
