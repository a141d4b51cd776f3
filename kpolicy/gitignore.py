""".gitignore as a folder walk honours it, as ruff and ripgrep do.

Inside a git work tree (a parent folder with ``.git``), a walk skips what the work tree's
``.gitignore`` files and ``.git/info/exclude`` ignore. Patterns follow gitignore(5) through
``pathspec``'s ``GitIgnoreSpec``: a file's patterns are relative to its folder, a deeper file
overrides a shallower one, ``!`` re-includes, and nothing under an ignored folder comes back
(the walk never enters it). git itself is never run: a repository's own git config could make
it run a command.
"""

from __future__ import annotations

import os

from kpolicy.fsutil import find_work_tree

__all__ = ["IgnoreRules", "find_work_tree"]

_MAX_IGNORE_BYTES = 1 << 20


def _read_patterns(path: str) -> list[str] | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_IGNORE_BYTES + 1)
    except (OSError, ValueError):
        return None
    if len(data) > _MAX_IGNORE_BYTES:
        data = data[:_MAX_IGNORE_BYTES]
    return data.decode("utf-8", "replace").splitlines()


class IgnoreRules:
    """The ignore files that apply under one walked folder (inactive outside a work tree)."""

    def __init__(self, top: str, work_tree: str | None = None) -> None:
        """``work_tree``: :func:`find_work_tree` of ``top``, when the caller has it."""
        self._specs: dict[str, object | None] = {}  # folder → its .gitignore's spec (or None)
        start = os.path.abspath(top)
        self.work_tree = work_tree if work_tree is not None else find_work_tree(start)
        self.read: list[str] = []  # the ignore files looked at (for the run cache)
        if self.work_tree is None:
            return
        git = os.path.join(self.work_tree, ".git")
        exclude = os.path.join(git, "info", "exclude") if os.path.isdir(git) else None
        self._exclude = self._load(exclude) if exclude is not None else None
        # the ignore files of the folders from the work tree down to the walked one
        folder = start
        chain = []
        while True:
            chain.append(folder)
            if folder == self.work_tree:
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        for folder in reversed(chain):
            self.enter(folder)

    @property
    def active(self) -> bool:
        return self.work_tree is not None

    def _load(self, path: str) -> object | None:
        self.read.append(path)
        lines = _read_patterns(path)
        if not lines:
            return None
        import pathspec  # only for an ignore file that has lines (13 ms of a start-up)

        return pathspec.GitIgnoreSpec.from_lines(lines)

    def enter(self, folder: str) -> None:
        """Read ``folder``'s ``.gitignore`` (a walk calls it for each folder it enters)."""
        folder = os.path.abspath(folder)
        if self.work_tree is None or folder in self._specs:
            return
        self._specs[folder] = self._load(os.path.join(folder, ".gitignore"))

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether git ignores ``path`` (its parent folders are taken as not ignored)."""
        if self.work_tree is None:
            return False
        path = os.path.abspath(path)
        if not path.startswith(self.work_tree + os.sep):
            return False
        suffix = "/" if is_dir else ""
        folder = os.path.dirname(path)
        # the deepest ignore file with a matching pattern decides
        while True:
            spec = self._specs.get(folder)
            if spec is not None:
                relative = os.path.relpath(path, folder).replace(os.sep, "/") + suffix
                result = spec.check_file(relative)  # type: ignore[attr-defined]
                if result.include is not None:
                    return bool(result.include)
            if folder == self.work_tree:
                break
            folder = os.path.dirname(folder)
        if self._exclude is not None:
            relative = os.path.relpath(path, self.work_tree).replace(os.sep, "/") + suffix
            result = self._exclude.check_file(relative)  # type: ignore[attr-defined]
            if result.include is not None:
                return bool(result.include)
        return False
