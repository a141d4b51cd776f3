"""What a lint run is asked: :class:`LintOptions`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kpolicy.model import (
    Limits,
)
from kpolicy.records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import date  # (not imported by a run whose config has no exemption's until)
    from pathlib import Path  # (made where a path is given: a plain run does without pathlib)

FAIL_LEVELS = ("error", "warning", "info", "never")


@record(frozen=True)
class LintOptions:
    paths: Sequence[str] = (".",)
    context: Sequence[str] = ()
    stdin_filename: str = "<stdin>"
    config_path: Path | None = None
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    kubernetes_version: str | None = None
    cluster_domain: str | None = None
    policies: Sequence[Path] = ()
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    nodes_file: Path | None = None
    schema_dir: Path | None = None
    debug: bool = False
    limits: Limits | None = None
    stdin_text: str | None = None  # tests and the language server pass text directly
    use_config_discovery: bool = True
    cwd: Path | None = None
    # worker processes for large inputs: None or 0 for one per idle core (serial when the input is
    # small), 1 for serial; the output is the same either way
    jobs: int | None = None
    baseline: Path | None = None  # --baseline (else the config's baseline:)
    use_baseline: bool = True  # False: neither (--write-baseline makes a new one)
    today: date | None = None  # the day exemptions' `until` is compared with (tests)
    # config excludes apply to files named on the command line too (None: as the config says)
    force_exclude: bool | None = None
    ignore_files: bool = True  # honour .gitignore when walking folders (--no-ignore: False)
    kustomize: Sequence[str] = ()  # folders to build with kustomize and lint (--kustomize)
    # display → text read instead of the file (the rounds of --fix and --diff lint the fixed
    # text before, or without, writing it)
    texts: Mapping[str, str] = field(default_factory=dict)
    # findings carry the fixes their checks offer: SARIF, --fix, --diff and the language server
    # read them; a run whose reports show none need not build them (False)
    fixes: bool = True
    # the run writes a JSON report: the workers render their findings' lines of it, in
    # parallel, rather than the parent after them (LintResult.rendered)
    json_lines: bool = False
