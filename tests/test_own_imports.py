"""Issue 20, start-up: kpolicy's own modules are imported through ``kpolicy._OwnFinder`` (first on
``sys.meta_path``), which must give what the standard search and loader give: the same file,
spec and module attributes, the code of the current source (a stale or missing ``.pyc``
compiled again, as a normal import does), and nothing for any other name or folder."""

from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import subprocess
import sys
from collections.abc import Iterator
from importlib.machinery import PathFinder, SourceFileLoader
from pathlib import Path
from types import ModuleType

import pytest

import kpolicy
from tests.conftest import ROOT

PACKAGE = os.path.dirname(kpolicy.__file__)


def _own_finder() -> kpolicy._OwnFinder:
    found = [f for f in sys.meta_path if isinstance(f, kpolicy._OwnFinder)]
    assert len(found) == 1
    return found[0]


def _own_names() -> Iterator[tuple[str, str]]:
    """Every module and package of kpolicy: its name and its parent's folder."""
    for folder, subfolders, files in os.walk(PACKAGE):
        subfolders[:] = [s for s in subfolders if s != "__pycache__"]
        prefix = "kpolicy" + folder[len(PACKAGE) :].replace("/", ".")
        for name in files:
            stem, _, suffix = name.partition(".")
            if stem != "__init__" and suffix in ("py", "cpython-311-x86_64-linux-gnu.so"):
                yield prefix + "." + stem, folder
        for sub in subfolders:
            if os.path.exists(os.path.join(folder, sub, "__init__.py")):
                yield prefix + "." + sub, folder


def test_the_finder_is_first_and_installed_once() -> None:
    assert isinstance(sys.meta_path[0], kpolicy._OwnFinder)
    kpolicy._install()  # as a reload of kpolicy runs it again
    _own_finder()


def test_every_own_module_has_the_standard_search_s_spec() -> None:
    finder = _own_finder()
    names = list(_own_names())
    assert len(names) > 100
    taken = 0
    for name, folder in names:
        ours = finder.find_spec(name, [folder])
        standard = PathFinder.find_spec(name, [folder])
        assert standard is not None, name
        if ours is None:  # left to the standard search: the C extension only
            assert not isinstance(standard.loader, SourceFileLoader), name
            continue
        taken += 1
        assert isinstance(ours.loader, SourceFileLoader)
        assert (ours.name, ours.origin, ours.cached, ours.has_location, ours.parent) == (
            standard.name,
            standard.origin,
            standard.cached,
            standard.has_location,
            standard.parent,
        )
        assert ours.submodule_search_locations == standard.submodule_search_locations
        assert ours.cached == importlib.util.cache_from_source(ours.origin or "")
    assert taken == len(names) - 1


def test_a_run_imports_kpolicy_s_modules_through_the_finder(tmp_path: Path) -> None:
    """A lint, in its own process: every kpolicy module but the package and the C loader came
    through the finder, with the attributes the standard import gives."""
    (tmp_path / "d.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    script = (
        "import json, sys\n"
        "sys.argv = ['kpolicy', 'lint', '--no-cache', '--format', 'json', 'd.yaml']\n"
        "from kpolicy.entry import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "seen = {n: [type(m.__loader__).__name__, m.__file__, getattr(m, '__cached__', None),\n"
        "            getattr(m, '__path__', None)]\n"
        "        for n, m in list(sys.modules.items()) if n.startswith('kpolicy')}\n"
        "sys.stderr.write(json.dumps(seen))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    seen = json.loads(done.stderr)
    assert len(seen) > 30
    for name, (loader, file, cached, path) in seen.items():
        if name in ("kpolicy", "kpolicy._cload"):
            continue
        assert loader == "_OwnLoader", name
        folder = os.path.join(PACKAGE, *name.split(".")[1:-1])
        standard = PathFinder.find_spec(name, [folder])
        assert standard is not None
        assert [file, cached, path] == [
            standard.origin,
            standard.cached,
            standard.submodule_search_locations,
        ]


@pytest.fixture
def package(tmp_path: Path) -> tuple[kpolicy._OwnFinder, Path]:
    """A finder for a ``kpolicy`` package of a temporary folder (never put on sys.meta_path)."""
    root = tmp_path / "kpolicy"
    root.mkdir()
    (root / "__init__.py").write_text("")
    finder = kpolicy._OwnFinder(str(root), importlib.machinery.EXTENSION_SUFFIXES, "cpython-311")
    return finder, root


def _load(finder: kpolicy._OwnFinder, name: str, folder: Path) -> ModuleType:
    spec = finder.find_spec(name, [str(folder)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def standard_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names the standard ``get_code`` was asked for."""
    calls: list[str] = []
    standard = SourceFileLoader.get_code

    def counted(self: SourceFileLoader, fullname: str) -> object:
        calls.append(fullname)
        return standard(self, fullname)

    monkeypatch.setattr(SourceFileLoader, "get_code", counted)
    return calls


def _set_time(path: Path, seconds: int) -> None:
    os.utime(path, (seconds, seconds))


def test_a_current_pyc_is_read_without_the_standard_get_code(
    package: tuple[kpolicy._OwnFinder, Path], standard_calls: list[str]
) -> None:
    finder, root = package
    source = root / "mod.py"
    source.write_text("VALUE = 1\n\n\ndef where() -> None:\n    pass\n")
    _set_time(source, 1_600_000_000)
    py_compile.compile(  # compiled where the package was before it moved (coverage's case)
        str(source),
        dfile="/elsewhere/kpolicy/mod.py",
        invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
    )
    module = _load(finder, "kpolicy.mod", root)
    assert module.VALUE == 1
    assert standard_calls == []
    assert module.where.__code__.co_filename == str(source)
    assert module.__file__ == str(source)
    assert module.__cached__ == importlib.util.cache_from_source(str(source))
    loader = module.__spec__.loader if module.__spec__ is not None else None
    assert isinstance(loader, SourceFileLoader)
    code = loader.get_code("kpolicy.mod")  # a second call: the standard one
    assert code is not None and code.co_filename == str(source)
    assert standard_calls == ["kpolicy.mod"]


def test_an_edited_source_gives_its_new_code_and_a_new_pyc(
    package: tuple[kpolicy._OwnFinder, Path],
    standard_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finder, root = package
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    source = root / "mod.py"
    source.write_text("VALUE = 1\n")
    _set_time(source, 1_600_000_000)
    assert _load(finder, "kpolicy.mod", root).VALUE == 1  # no .pyc: compiled and written
    cached = Path(importlib.util.cache_from_source(str(source)))
    assert cached.exists()
    source.write_text("VALUE = 2\n")  # the same size: only the time tells
    _set_time(source, 1_600_000_100)
    assert _load(finder, "kpolicy.mod", root).VALUE == 2
    assert _load(finder, "kpolicy.mod", root).VALUE == 2  # (read from the new .pyc)
    assert standard_calls == ["kpolicy.mod", "kpolicy.mod"]
    source.write_text("VALUE = 33\n")  # the same time: the size tells
    _set_time(source, 1_600_000_100)
    assert _load(finder, "kpolicy.mod", root).VALUE == 33


def test_a_stale_or_broken_pyc_is_the_standard_loader_s(
    package: tuple[kpolicy._OwnFinder, Path], standard_calls: list[str]
) -> None:
    finder, root = package
    source = root / "mod.py"
    source.write_text("VALUE = 1\n")
    _set_time(source, 1_600_000_000)
    py_compile.compile(str(source), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    cached = Path(importlib.util.cache_from_source(str(source)))
    stale = cached.read_bytes()
    source.write_text("VALUE = 42\n")  # a longer source at the .pyc's time
    _set_time(source, 1_600_000_000)
    assert _load(finder, "kpolicy.mod", root).VALUE == 42
    cached.write_bytes(b"\0" * 8 + stale[8:])  # another magic number
    assert _load(finder, "kpolicy.mod", root).VALUE == 42
    assert standard_calls == ["kpolicy.mod", "kpolicy.mod"]


def test_no_pyc_is_written_without_bytecode(
    package: tuple[kpolicy._OwnFinder, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    finder, root = package
    (root / "mod.py").write_text("VALUE = 5\n")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert _load(finder, "kpolicy.mod", root).VALUE == 5
    assert not (root / "__pycache__").exists()


def test_a_subpackage_is_found_with_its_path(package: tuple[kpolicy._OwnFinder, Path]) -> None:
    finder, root = package
    (root / "sub").mkdir()
    (root / "sub" / "__init__.py").write_text("VALUE = 6\n")
    (root / "sub" / "inner.py").write_text("VALUE = 7\n")
    sub = _load(finder, "kpolicy.sub", root)
    assert sub.VALUE == 6
    assert sub.__path__ == [str(root / "sub")]
    assert sub.__spec__ is not None
    assert sub.__spec__.submodule_search_locations == [str(root / "sub")]
    assert _load(finder, "kpolicy.sub.inner", root / "sub").VALUE == 7


def test_what_comes_first_in_the_standard_search_is_left_to_it(
    package: tuple[kpolicy._OwnFinder, Path],
) -> None:
    finder, root = package
    folder = str(root)
    (root / "shadowed.py").write_text("")
    (root / "shadowed").mkdir()  # a namespace package or not: the standard search decides
    assert finder.find_spec("kpolicy.shadowed", [folder]) is None
    (root / "native.py").write_text("")
    (root / ("native" + importlib.machinery.EXTENSION_SUFFIXES[0])).write_text("")
    assert finder.find_spec("kpolicy.native", [folder]) is None
    (root / "nspkg").mkdir()
    (root / "nspkg" / "mod.py").write_text("")
    assert finder.find_spec("kpolicy.nspkg", [folder]) is None
    (root / "notafile.py").mkdir()
    assert finder.find_spec("kpolicy.notafile", [folder]) is None
    assert finder.find_spec("kpolicy.missing", [folder]) is None


def test_a_new_module_is_found_after_invalidate_caches(
    package: tuple[kpolicy._OwnFinder, Path],
) -> None:
    finder, root = package
    assert finder.find_spec("kpolicy.late", [str(root)]) is None
    (root / "late.py").write_text("VALUE = 8\n")
    importlib.invalidate_caches()  # (sys.meta_path's finders only: this one is not there)
    finder.invalidate_caches()
    assert _load(finder, "kpolicy.late", root).VALUE == 8


def test_no_name_outside_kpolicy_nor_other_folder_is_handled(
    package: tuple[kpolicy._OwnFinder, Path],
) -> None:
    finder, root = package
    (root / "mod.py").write_text("")
    (root / "sub").mkdir()
    (root / "sub" / "mod.py").write_text("")
    for name, path in [
        ("mod", [str(root)]),
        ("kpolicyx.mod", [str(root)]),
        ("yaml", None),
        ("kpolicy.mod", None),
        ("kpolicy.mod", [str(root / "sub")]),  # a name's folder is its own, never another
        ("kpolicy.sub.mod", [str(root)]),
        ("kpolicy.mod", [str(root), str(root / "sub")]),
        ("kpolicy.mod", [os.getcwd()]),
    ]:
        assert finder.find_spec(name, path) is None, (name, path)
    assert _own_finder().find_spec("kpolicy.mod", [str(root)]) is None


def test_a_module_planted_in_the_working_folder_is_never_imported(tmp_path: Path) -> None:
    """The linted repository is often the working folder (and sys.path[0] with ``-c``): its
    engine.py is not kpolicy.engine, in this process nor in a worker."""
    for name in ("engine", "cli", "model", "parallel", "load", "fastcli", "entry"):
        (tmp_path / f"{name}.py").write_text("raise SystemExit(99)\n")
    (tmp_path / "lint").mkdir()
    (tmp_path / "lint" / "__init__.py").write_text("raise SystemExit(98)\n")
    (tmp_path / "d.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "e.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    done = subprocess.run(
        [sys.executable, "-m", "kpolicy", "lint", "--no-cache", "-j", "2", "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)["summary"]["files"] == 2


def test_reload_goes_through_the_finder() -> None:
    script = (
        "import importlib, kpolicy.dates as d\n"
        "old = d.__spec__.loader\n"
        "importlib.reload(d)\n"
        "assert type(d.__spec__.loader).__name__ == '_OwnLoader' and d.__spec__.loader is not old\n"
        "import kpolicy\n"
        "importlib.reload(kpolicy)\n"
        "assert sum(hasattr(f, '_kpolicy_own') for f in __import__('sys').meta_path) == 1\n"
    )
    subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True
    )
