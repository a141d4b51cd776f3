"""Write schemas/compiled/<version>.marshal and <version>.sources.marshal: each supported
Kubernetes version's kinds and the schemas of the kinds most inputs have, built from the bundle
(schemas/k8s/) as corrected by schemas/overlay.json, so that a run loads them instead of
building them, and what building the other kinds reads (kpolicy.schema.bundle.compiled_payload);
and served.marshal, the releases that serve each kind (served_payload).

Usage: python tools/gen_compiled_schemas.py (also run by ``make docs``, after the overlay;
tests/schema/test_compiled.py fails when a version's file is missing or stale)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpolicy.schema.bundle import (  # noqa: E402
    compiled_payload,
    served_payload,
    supported_versions,
)

SUFFIXES = (".marshal", ".sources.marshal")


def main() -> None:
    target = ROOT / "schemas" / "compiled"
    target.mkdir(exist_ok=True)
    versions = supported_versions()
    names = {f"{version}{suffix}" for version in versions for suffix in SUFFIXES}
    names.add("served.marshal")
    for stale in target.glob("*.marshal"):
        if stale.name not in names:
            stale.unlink()
    for version in versions:
        for suffix, payload in zip(SUFFIXES, compiled_payload(version), strict=True):
            path = target / f"{version}{suffix}"
            path.write_bytes(payload)
            print(f"wrote {path.relative_to(ROOT)}")
    path = target / "served.marshal"
    path.write_bytes(served_payload())
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
