"""Where the configuration is: the nearest ``.kpolicy.yaml`` upward, else the nearest
``pyproject.toml`` with a ``[tool.kpolicy]`` table.

Kept apart from :mod:`kpolicy.config` (which builds and validates a configuration) because the
cache replay of :mod:`kpolicy.entry` needs only the path, before anything heavy is imported
(:func:`find_config_file`, which is :mod:`kpolicy.fsutil`'s: a replay imports only that).
"""

from __future__ import annotations

import os

# find_config_file is kpolicy.fsutil's: a replay needs it, and one module less to import
from kpolicy.fsutil import CONFIG_NAME as CONFIG_NAME
from kpolicy.fsutil import find_config_file as find_config_file

TYPE_CHECKING = False  # importing typing costs a replay 2 ms; mypy takes this name as True
if TYPE_CHECKING:
    from pathlib import Path  # not at run time: a replay does without pathlib (4 ms)


def find_config(start: str | Path) -> Path | None:
    """The nearest ``.kpolicy.yaml``, or a ``pyproject.toml`` with ``[tool.kpolicy]``."""
    found = find_config_file(os.fspath(start))
    if found is None:
        return None
    from pathlib import Path

    return Path(found)


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
