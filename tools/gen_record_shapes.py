"""Write kpolicy/_record_shapes.py: the ``__init__`` code of every shape of kpolicy's records
(kpolicy.records), so that a run unmarshals it with the package instead of compiling it.

Usage: python tools/gen_record_shapes.py (tests/test_records.py fails when it is stale)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpolicy  # noqa: E402
from kpolicy import records  # noqa: E402


def every_record_shape() -> set[tuple[str, int, tuple[int, ...], bool]]:
    """The shapes of the records of every module of kpolicy."""
    for module in pkgutil.walk_packages(kpolicy.__path__, "kpolicy."):
        if not module.name.endswith("__main__"):  # it runs the command
            importlib.import_module(module.name)
    return {
        records.shape_key(cls) for cls in records.RECORDS if cls.__module__.startswith("kpolicy.")
    }


def main() -> None:
    target = ROOT / "kpolicy" / "_record_shapes.py"
    target.write_text(records.shapes_module(every_record_shape()), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
