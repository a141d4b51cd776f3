"""The ``kpolicy lint`` command line as one object, and the replay-cache key derived from it.

Every option of the command is a field of :class:`LintCommand` (a test holds them to the
command's parameters), and the key of a recorded run is every field but the few listed in
:data:`NOT_IN_CACHE_KEY`, so that a new option can never be forgotten in the key. This module
imports nothing heavy: a replayed run never imports the pipeline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from kpolicy.records import fields, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # (made where a path is given: a plain run does without pathlib)
    from typing import Final

    from kpolicy.lint.options import LintOptions

# the fields that do not change what a run prints or writes, and why
NOT_IN_CACHE_KEY: Final[Mapping[str, str]] = {
    "jobs": "the output is the same with any number of worker processes",
    "no_cache": "a run that replays or records has it False",
    "report_paths": "a replay writes the --report texts to this command line's paths",
}


@record(frozen=True)
class LintCommand:
    """The options of ``kpolicy lint``, named as its parameters (``--report FORMAT=PATH`` is
    parsed into ``report_formats`` and ``report_paths``)."""

    paths: tuple[str, ...] = ()
    output_format: str = "text"
    output: Path | None = None
    report_formats: tuple[str, ...] = ()
    report_paths: tuple[Path, ...] = ()
    config: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    context: tuple[str, ...] = ()
    kubernetes_version: str | None = None
    cluster_domain: str | None = None
    stdin_filename: str = "<stdin>"
    policy: tuple[Path, ...] = ()
    nodes: Path | None = None
    feature_gates: tuple[str, ...] = ()
    schema_dir: Path | None = None
    max_file_size: int | None = None
    show_suppressed: bool = False
    baseline: Path | None = None
    write_baseline: Path | None = None
    show_skipped: bool = False
    kustomize: tuple[str, ...] = ()
    no_ignore: bool = False
    force_exclude: bool | None = None
    color: bool | None = None
    debug: bool = False
    no_cache: bool = False
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    jobs: int = 0

    @property
    def reports(self) -> list[tuple[str, Path]]:
        return list(zip(self.report_formats, self.report_paths, strict=True))

    @property
    def linted(self) -> list[str]:
        """The paths the run reads (inputs and context), as the cache watches them."""
        return [*(self.paths or ["."]), *self.context]

    @property
    def cacheable(self) -> bool:
        """Whether the run may be replayed and recorded: not stdin (unknown input), not with
        tracebacks, not a kustomize build (an external program), not writing a baseline, not
        fixing (--fix writes the files, --diff reads them as they are)."""
        return (
            not self.no_cache
            and "-" not in self.paths
            and not self.debug
            and not self.kustomize
            and self.write_baseline is None
            and not self.fix
            and not self.diff
        )

    def cache_key(self) -> dict[str, object]:
        """Every option that can change what is printed or written: all fields but
        :data:`NOT_IN_CACHE_KEY`."""
        return {
            f.name: _plain(getattr(self, f.name))
            for f in fields(self)
            if f.name not in NOT_IN_CACHE_KEY
        }

    def options(self, feature_gates: Mapping[str, bool]) -> LintOptions:
        """The pipeline's options (``feature_gates``: ``self.feature_gates`` parsed)."""
        from kpolicy.lint.options import LintOptions

        return LintOptions(
            paths=list(self.paths) or ([] if self.kustomize else ["."]),
            kustomize=list(self.kustomize),
            context=list(self.context),
            stdin_filename=self.stdin_filename,
            config_path=self.config,
            select=list(self.select),
            ignore=list(self.ignore),
            kubernetes_version=self.kubernetes_version,
            cluster_domain=self.cluster_domain,
            policies=list(self.policy),
            feature_gates=feature_gates,
            nodes_file=self.nodes,
            schema_dir=self.schema_dir,
            debug=self.debug,
            jobs=self.jobs,
            # the baseline being written is not read, but never linted either
            baseline=self.baseline if self.write_baseline is None else self.write_baseline,
            use_baseline=self.write_baseline is None,
            force_exclude=self.force_exclude,
            ignore_files=not self.no_ignore,
            # only SARIF reports fixes, and only --fix and --diff apply them
            fixes=self.fix or self.diff or "sarif" in (self.output_format, *self.report_formats),
            # a baseline being written, or fixes, make findings the written ones are not
            json_lines="json" in (self.output_format, *self.report_formats)
            and self.write_baseline is None
            and not (self.fix or self.diff),
        )


def _plain(value: object) -> object:
    """``value`` as JSON: paths as strings, tuples as lists."""
    if isinstance(value, os.PathLike):  # a Path: its string
        return os.fspath(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
