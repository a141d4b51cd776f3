"""The dependencies pyproject.toml declares are exactly the distributions kpolicy/ imports.

Every ``import`` under kpolicy/ (at the top of a module or inside a function, typing-only ones
included: they name what the code relies on) is mapped to the distribution that provides it, as
the installed environment records it (``importlib.metadata.packages_distributions``). A package
that kpolicy reads as data rather than imports is listed in ``DATA_PACKAGES`` with the file and
the text that uses it, which the test checks too.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib

from tests.conftest import ROOT

PACKAGE = ROOT / "kpolicy"

# distribution -> (file under the repository, text in it that uses the package)
DATA_PACKAGES = {
    # the IANA zone names a CronJob's timeZone is checked against, offline
    "tzdata": ("kpolicy/k8s/timezone.py", 'resources.files("tzdata")'),
}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    for requirement in project["dependencies"]:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match is not None, requirement
        names.add(_normalize(match.group(1)))
    return names


def imported_modules() -> dict[str, set[str]]:
    """Top-level module name -> the files under kpolicy/ that import it (third-party only)."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "kpolicy" or top in sys.stdlib_module_names:
                    continue
                found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def imported_distributions() -> dict[str, set[str]]:
    providers = importlib.metadata.packages_distributions()
    by_distribution: dict[str, set[str]] = {}
    unknown = []
    for module, files in imported_modules().items():
        distributions = providers.get(module)
        if not distributions:
            unknown.append(module)
            continue
        for distribution in distributions:
            by_distribution.setdefault(_normalize(distribution), set()).update(files)
    assert unknown == [], f"imported but provided by no installed distribution: {unknown}"
    return by_distribution


def test_declared_dependencies_are_exactly_the_imported_ones() -> None:
    imported = imported_distributions()
    data = {_normalize(name) for name in DATA_PACKAGES}
    missing = {name: sorted(files) for name, files in imported.items() if name not in declared()}
    unused = sorted(declared() - set(imported) - data)
    assert missing == {}, "imported but not declared in pyproject.toml's dependencies"
    assert unused == [], "declared in pyproject.toml's dependencies but never imported"


def test_data_packages_are_used() -> None:
    for name, (file, use) in DATA_PACKAGES.items():
        assert _normalize(name) in declared()
        assert use in (ROOT / file).read_text(encoding="utf-8"), (name, file)


def test_the_check_sees_lazy_and_typing_only_imports() -> None:
    # jsonschema is imported inside functions and under TYPE_CHECKING only: it still counts
    modules = imported_modules()
    assert "kpolicy/schema/validator.py" in modules["jsonschema"]
    assert "typer" in modules and "yaml" in modules
