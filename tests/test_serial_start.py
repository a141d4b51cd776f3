"""Issue 20, the serial start of a parallel run: what the parent has done when it forks the
workers. Everything before the fork is serial, so what only some files need (PyYAML and the
composer: a chunk the C loader leaves) or what a worker can do for its own files (a ``Path``
for each file read) waits until then. No timing assertions: what the parent has imported and
made at the fork is what the serial start costs."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# at the fork: the modules imported, and the inputs whose Path was made (each made once)
_AT_FORK = """
import os, sys
from kpolicy import discover

made = []
plain = discover.Input.path.fget


def path(self):
    if isinstance(self._path, str):
        made.append(self.display)
    return plain(self)


discover.Input.path = property(path)
seen = {}
fork = os.fork


def forked():
    if not seen:
        seen["made"] = sorted(made)
        seen["modules"] = sorted(m for m in ("yaml", "kpolicy.compose") if m in sys.modules)
    return fork()


os.fork = forked
sys.argv = ["kpolicy", *sys.argv[1:]]
from kpolicy.entry import main

try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
sys.stderr.write("\\n@@" + repr(seen))
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{n}
  labels: {{app: web-{n}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web-{n}}}
  template:
    metadata:
      labels: {{app: web-{n}}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.{n}
          command: [sh, -c, "make && ls *.yaml"]
"""

ANCHORED = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: &name settings
data:
  copy: *name
"""


def _run(args: list[str], cwd: Path) -> tuple[dict[str, list[str]], str]:
    done = subprocess.run(
        [sys.executable, "-c", _AT_FORK, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "KPOLICY_CACHE_DIR": str(cwd / "cache")},
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    _, _, seen = done.stderr.rpartition("\n@@")
    return ast.literal_eval(seen), done.stdout


def _tree(tmp_path: Path, anchored: bool) -> Path:
    for n in range(12):
        (tmp_path / f"d{n:02}.yaml").write_text(DEPLOYMENT.format(n=n))
    if anchored:
        (tmp_path / "z.yaml").write_text(ANCHORED)
    return tmp_path


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork: runs are serial")
@pytest.mark.parametrize("anchored", [False, True])
def test_the_parent_forks_before_pyyaml_and_the_files_paths(tmp_path: Path, anchored: bool) -> None:
    c_loader = importlib.import_module("kpolicy.load")._load_chunk is not None
    args = ["lint", "--format", "json", "--no-cache", "--fail-on", "never", "."]
    seen, parallel = _run([*args, "-j", "2"], _tree(tmp_path, anchored))
    assert seen, "the run did not fork"
    assert seen["made"] == []
    if c_loader:
        assert seen["modules"] == []
    serial_seen, serial = _run([*args, "-j", "1"], tmp_path)
    assert serial_seen == {}  # -j 1 forks nothing
    assert parallel == serial
    report = json.loads(parallel)
    assert report["summary"]["files"] == 12 + anchored
    assert report["summary"]["objects"] == 12 + anchored  # the anchored file read too
