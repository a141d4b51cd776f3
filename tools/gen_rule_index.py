"""Write ``rules/index.json``: every built-in rule file's parsed mapping, read at start-up
instead of parsing the ~90 YAML files (``kpolicy.ruledefs.builtin_rules``).

    python tools/gen_rule_index.py [--check]

``make docs`` runs it; ``tests/test_rule_index.py`` fails when the index is stale. A stale
index is never used: each entry carries its file's length and CRC-32, and kpolicy parses the
files when one differs. ``--check`` exits 1 when the index is not up to date.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpolicy.ruledefs import INDEX_NAME, rule_index  # noqa: E402


def index_text(folder: Path) -> str:
    return json.dumps(rule_index(folder), indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether it is stale")
    args = parser.parse_args()
    folder = ROOT / "rules"
    text = index_text(folder)
    target = folder / INDEX_NAME
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            sys.exit(f"{target} is stale: run make docs")
        return
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(json.loads(text)['files'])} rule files)")


if __name__ == "__main__":
    main()
