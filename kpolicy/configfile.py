"""Where the configuration is: the nearest ``.kpolicy.yaml`` upward, else the nearest
``pyproject.toml`` with a ``[tool.kpolicy]`` table.

Kept apart from :mod:`kpolicy.config` (which builds and validates a configuration) because the
cache replay of :mod:`kpolicy.entry` needs only the path, before anything heavy is imported.
"""

from __future__ import annotations

import os

from kpolicy.fsutil import isfile  # os.path.isfile, without a status of each absent path

TYPE_CHECKING = False  # importing typing costs a replay 2 ms; mypy takes this name as True
if TYPE_CHECKING:
    from pathlib import Path  # not at run time: a replay does without pathlib (4 ms)

CONFIG_NAME = ".kpolicy.yaml"


def find_config(start: str | Path) -> Path | None:
    """The nearest ``.kpolicy.yaml``, or a ``pyproject.toml`` with ``[tool.kpolicy]``."""
    found = find_config_file(os.fspath(start))
    if found is None:
        return None
    from pathlib import Path

    return Path(found)


def find_config_file(start: str) -> str | None:
    """:func:`find_config` with names as strings (the replay of a cached run's)."""
    folder = os.path.realpath(start)  # what Path.resolve() is
    parents = [folder]
    while (parent := os.path.dirname(parents[-1])) != parents[-1]:
        parents.append(parent)
    for candidate in parents:
        path = os.path.join(candidate, CONFIG_NAME)
        if isfile(path):
            return path
    for candidate in parents:
        path = os.path.join(candidate, "pyproject.toml")
        if isfile(path) and pyproject_section(path) is not None:
            return path
    return None


def pyproject_section(path: str | Path) -> dict[str, object] | None:
    """The ``[tool.kpolicy]`` table of a ``pyproject.toml``, or None when it has none."""
    import tomllib

    from kpolicy.errors import UsageError  # here: a replay imports this module, not errors

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    section = data.get("tool", {}).get("kpolicy")
    return section if isinstance(section, dict) else None
