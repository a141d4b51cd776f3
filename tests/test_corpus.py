"""Every real-world manifest in ../shared/corpus lints without a crash or an internal error."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")


def test_corpus_lints_without_crash() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kpolicy", "lint", "-f", "json", "--fail-on", "never", str(CORPUS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    counts = Counter(d["rule"] for d in report["diagnostics"])
    internal = [d for d in report["diagnostics"] if d["rule"] == "internal-error"]
    assert internal == [], internal[:5]
    # every file is linted, or skipped as no manifest (kustomizations, Helm values)
    assert report["summary"]["files"] + report["summary"]["skipped"] >= 399
    assert report["summary"]["files"] >= 370
    assert report["summary"]["objects"] >= 1000
    print(dict(sorted(counts.items())))
