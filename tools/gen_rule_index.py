"""Write ``rules/index.json`` and ``rules/index.marshal``: the fields of every built-in rule
(``kpolicy.ruledefs.rule_fields``), read at start-up instead of parsing the ~90 YAML files
(``kpolicy.ruledefs.builtin_rules``, which reads the marshal form; the JSON is the same mapping
to read and review).

    python tools/gen_rule_index.py [--check [--touch]]

``make docs`` runs it; ``tests/test_rule_index.py`` fails when the index is stale. A stale
index is never used: each entry carries its file's length and CRC-32, and kpolicy parses the
files when one differs. ``--check`` exits 1 when the index is not up to date; with ``--touch``
(the Makefile's install step) an index found current is made newer than the rule files, which
kpolicy then takes as they are: a clone's files are as new as the index or newer, and each
such file is read for its CRC at every start.
"""

from __future__ import annotations

import argparse
import json
import marshal
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpolicy.ruledefs import INDEX_NAME, JSON_INDEX_NAME, rule_index  # noqa: E402


def index_text(folder: Path) -> str:
    return _text(rule_index(folder))


def _text(index: object) -> str:
    return json.dumps(index, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def marshal_current(path: Path, index: dict[str, object]) -> bool:
    """Whether ``path`` holds ``index`` in marshal form: compared as their JSON texts (not
    their bytes: the bytes marshal writes for the same mapping depend on which of its strings
    are shared; not with ``==``: that takes ``True`` for ``1`` and ``1.0``, and any order of
    keys, which kpolicy reads differently)."""
    try:
        return _text(marshal.loads(path.read_bytes())) == _text(index)
    except (OSError, ValueError, EOFError, TypeError):
        return False


def shared(value: Any, seen: dict[str, str] | None = None) -> Any:
    """``value`` with each string that recurs in it one object: marshal writes a string met
    again as a reference to the first, which unmarshalling takes as it is (the defaults that
    every rule's fields repeat, made anew for each rule at every start otherwise)."""
    seen = {} if seen is None else seen
    if isinstance(value, str):
        return seen.setdefault(value, value)
    if isinstance(value, dict):
        return {shared(key, seen): shared(item, seen) for key, item in value.items()}
    if isinstance(value, list):
        return [shared(item, seen) for item in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether it is stale")
    parser.add_argument(
        "--touch", action="store_true", help="with --check: make a current index the newer"
    )
    args = parser.parse_args()
    folder = ROOT / "rules"
    text = index_text(folder)
    index = json.loads(text)
    target = folder / JSON_INDEX_NAME
    packed = folder / INDEX_NAME
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text or not marshal_current(packed, index):
            sys.exit(f"{target} or {packed} is stale: run make docs")
        if args.touch:
            # its contents were just compared with every file's: only then may it be newer
            os.utime(packed)
        return
    target.write_text(text, encoding="utf-8")
    # written after the JSON, and only when it changed (so that `make docs` leaves it as it
    # is): kpolicy reads it, and a rule file newer than it is read for its CRC
    if not marshal_current(packed, index):
        packed.write_bytes(marshal.dumps(shared(index)))
    print(f"wrote {target} and {packed} ({len(index['files'])} rule files)")


if __name__ == "__main__":
    main()
