"""Write schemas/compiled/<version>.marshal: each supported Kubernetes version's kinds and the
schemas of the kinds most inputs have, built from the bundle (schemas/k8s/) as corrected by
schemas/overlay.json, so that a run loads them instead of building them
(kpolicy.schema.bundle.compiled_payload).

Usage: python tools/gen_compiled_schemas.py (also run by ``make docs``, after the overlay;
tests/schema/test_compiled.py fails when a version's file is missing or stale)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpolicy.schema.bundle import compiled_payload, supported_versions  # noqa: E402


def main() -> None:
    target = ROOT / "schemas" / "compiled"
    target.mkdir(exist_ok=True)
    versions = supported_versions()
    for stale in target.glob("*.marshal"):
        if stale.stem not in versions:
            stale.unlink()
    for version in versions:
        path = target / f"{version}.marshal"
        path.write_bytes(compiled_payload(version))
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
