"""Where the configuration is: the nearest ``.kpolicy.yaml`` upward, else the nearest
``pyproject.toml`` with a ``[tool.kpolicy]`` table.

Kept apart from :mod:`kpolicy.config` (which builds and validates a configuration) because the
cache replay of :mod:`kpolicy.entry` needs only the path, before anything heavy is imported.
"""

from __future__ import annotations

from pathlib import Path

from kpolicy.errors import UsageError

CONFIG_NAME = ".kpolicy.yaml"


def find_config(start: Path) -> Path | None:
    """The nearest ``.kpolicy.yaml``, or a ``pyproject.toml`` with ``[tool.kpolicy]``."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_NAME
        if path.is_file():
            return path
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file() and pyproject_section(path) is not None:
            return path
    return None


def pyproject_section(path: Path) -> dict[str, object] | None:
    """The ``[tool.kpolicy]`` table of a ``pyproject.toml``, or None when it has none."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    section = data.get("tool", {}).get("kpolicy")
    return section if isinstance(section, dict) else None
