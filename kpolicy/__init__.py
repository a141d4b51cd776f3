"""kpolicy: a Kubernetes manifest linter and policy checker."""

from __future__ import annotations

import os
import sys

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing is not imported: a lint needs none of it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import CodeType, ModuleType

try:  # the import system's own modules, there since the interpreter started (not importlib)
    import _frozen_importlib as _bootstrap
    import _frozen_importlib_external as _external
except ImportError:  # pragma: no cover - another Python implementation
    _HAS_BOOTSTRAP = False
else:
    _HAS_BOOTSTRAP = True

_REGULAR_FILE = 0o100000  # stat.S_IFREG, without importing stat
_FILE_TYPE = 0o170000


class _OwnFinder:
    """Finds kpolicy's own modules (``kpolicy.`` names, in the package's own folder only) first
    on ``sys.meta_path``, with the work the standard search (PathFinder, then the folder's
    FileFinder) spends on each of the ~80 modules a run imports left out: it was a quarter of
    each import outside the module's own code.

    A spec is made only where the standard search would find the same file: the parent
    package's ``__path__`` is exactly the package's own folder for that name, the folder's
    listing (cached as FileFinder caches it: read again when the folder's modification time
    changes, or on ``importlib.invalidate_caches()``) has the name's ``.py`` (or a folder with
    ``__init__.py``) as a regular file and nothing that comes before it in FileFinder's order
    (a folder of that name for a module, an extension module). Anything else (a namespace
    package, a C extension such as ``kpolicy._cload``, a folder that cannot be read) is left
    to the standard search."""

    _kpolicy_own = True  # tells a second install (a reload of kpolicy) that one is in place

    def __init__(self, root: str, extension_suffixes: Sequence[str], cache_tag: str) -> None:
        self.root = root
        self.extension_suffixes = tuple(extension_suffixes)
        self.pyc_suffix = "." + cache_tag + ".pyc"
        self.listings: dict[str, tuple[float, frozenset[str]]] = {}

    def invalidate_caches(self) -> None:
        self.listings.clear()

    def _listing(self, folder: str) -> frozenset[str] | None:
        try:
            mtime = os.stat(folder).st_mtime
        except OSError:
            return None
        cached = self.listings.get(folder)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            names = frozenset(os.listdir(folder))
        except OSError:
            return None
        self.listings[folder] = (mtime, names)
        return names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if not fullname.startswith("kpolicy.") or path is None or len(path) != 1:
            return None
        parts = fullname.split(".")
        folder = self.root if len(parts) == 2 else self.root + "/" + "/".join(parts[1:-1])
        if path[0] != folder:  # the parent's __path__ is not the package's own folder
            return None
        names = self._listing(folder)
        if names is None:
            return None
        tail = parts[-1]
        for suffix in self.extension_suffixes:  # FileFinder would take an extension first
            if tail + suffix in names:
                return None
        if tail in names:  # a package (or a folder of that name: the standard search's turn)
            package = folder + "/" + tail
            inside = self._listing(package)
            if inside is None or "__init__.py" not in inside:
                return None
            for suffix in self.extension_suffixes:
                if "__init__" + suffix in inside:
                    return None
            return self._spec(fullname, package, "__init__", [package])
        if tail + ".py" not in names:
            return None
        return self._spec(fullname, folder, tail, None)

    def _spec(
        self, fullname: str, folder: str, stem: str, locations: list[str] | None
    ) -> ModuleSpec | None:
        origin = folder + "/" + stem + ".py"
        try:
            status = os.stat(origin)
        except OSError:
            return None
        if status.st_mode & _FILE_TYPE != _REGULAR_FILE:
            return None
        loader = _OwnLoader(fullname, origin)
        loader.status = status
        loader.cached = folder + "/__pycache__/" + stem + self.pyc_suffix
        spec: ModuleSpec = _bootstrap.ModuleSpec(
            fullname, loader, origin=origin, is_package=locations is not None
        )
        if locations is not None:
            spec.submodule_search_locations = locations
        spec.has_location = True
        spec.cached = loader.cached
        return spec


if _HAS_BOOTSTRAP:

    class _OwnLoader(_external.SourceFileLoader):
        """SourceFileLoader whose first ``get_code`` takes a current timestamp ``.pyc`` with
        one comparison of its 16-byte header against the source's status taken by the finder
        (the magic number, no flags, the source's modification time and size, as
        ``_validate_timestamp_pyc`` compares them). Any other case (no ``.pyc``, a stale or
        hash-based one, a second call) is the standard ``get_code``, which compiles the
        source and writes the ``.pyc`` as a normal import does."""

        status: os.stat_result | None = None
        cached: str = ""

        def get_code(self, fullname: str) -> CodeType:
            status, self.status = self.status, None
            if status is not None and fullname == self.name:
                try:
                    data: bytes = self.get_data(self.cached)
                except OSError:
                    data = b""
                header = (
                    _external.MAGIC_NUMBER
                    + b"\0\0\0\0"
                    + (int(status.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
                    + (status.st_size & 0xFFFFFFFF).to_bytes(4, "little")
                )
                if data[:16] == header:
                    code: CodeType = _external._compile_bytecode(  # type: ignore[attr-defined]
                        memoryview(data)[16:], fullname, self.cached, self.path
                    )
                    return code
            standard = super().get_code(fullname)
            assert standard is not None  # (None: a loader without source, not this one)
            return standard


def _install() -> None:
    """``_OwnFinder`` first on ``sys.meta_path``, where the ``.pyc`` it reads is the one the
    standard loader would read: CPython on a POSIX system, no ``-O``, no
    ``PYTHONPYCACHEPREFIX``, no ``-v`` (whose messages it would not print), kpolicy found in
    a folder by an absolute path."""
    if not _HAS_BOOTSTRAP or os.sep != "/" or sys.platform.startswith(("win", "cygwin")):
        return
    cache_tag = sys.implementation.cache_tag
    if cache_tag is None or sys.flags.optimize or sys.flags.verbose or sys.pycache_prefix:
        return
    root = os.path.dirname(__file__ or "")
    if not os.path.isabs(root) or __file__ != root + "/__init__.py":
        return
    if any(getattr(finder, "_kpolicy_own", False) for finder in sys.meta_path):
        return
    import _imp

    sys.meta_path.insert(0, _OwnFinder(root, _imp.extension_suffixes(), cache_tag))


_install()
