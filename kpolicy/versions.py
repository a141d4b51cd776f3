"""Kubernetes minor releases kpolicy knows (schemas, validation and controller behaviour)."""

from __future__ import annotations

from kpolicy.errors import UsageError

SUPPORTED_VERSIONS: tuple[str, ...] = (
    "1.29",
    "1.30",
    "1.31",
    "1.32",
    "1.33",
    "1.34",
    "1.35",
    "1.36",
    "1.37",
)
DEFAULT_VERSION = SUPPORTED_VERSIONS[-1]


def check_version(version: str) -> str:
    if version not in SUPPORTED_VERSIONS:
        raise UsageError(
            f"unsupported Kubernetes version {version!r}; supported: {', '.join(SUPPORTED_VERSIONS)}"
        )
    return version


def minor(version: str) -> int:
    """``"1.33"`` → 33."""
    found = _MINORS.get(version)
    if found is None:
        found = int(version.split(".")[1])
        if version in SUPPORTED_VERSIONS:  # the few a run asks about, again and again
            _MINORS[version] = found
    return found


_MINORS: dict[str, int] = {}
