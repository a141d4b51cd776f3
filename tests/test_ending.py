"""A ``kpolicy lint`` process ends at once when its report is written (``kpolicy.entry.command``,
:mod:`kpolicy.lifetime`): it writes, caches and exits as the general end of :func:`kpolicy.entry.main`
does, without freeing the run's objects one by one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kpolicy import lifetime
from tests.conftest import ROOT
from tests.helpers import cli

# findings of several rules and severities, a suppressed one, and an object without any
MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: other}
    spec:
      containers:
        - name: web
          image: nginx:latest  # kpolicy: ignore[image-tag-latest] -- a test
          imagePullPolicy: Sometimes
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
"""

# ends as the process would, reporting whether os._exit ended it and with which code, and
# whether atexit's functions ran first
SCRIPT = """\
import atexit, os, sys
atexit.register(lambda: sys.stderr.write("@@atexit\\n"))
_exit = os._exit
def _reported(code):
    ran = "run" if "kpolicy.fastcli" in sys.modules else "replay"  # parsed: not replayed
    sys.stderr.write(f"@@_exit {code} {ran}\\n")
    sys.stderr.flush()
    _exit(code)
os._exit = _reported
import kpolicy.lifetime  # its hand-off closes descriptor 2, written above (tests/test_teardown.py)
kpolicy.lifetime.hand_off_teardown = lambda: False
sys.argv = ["kpolicy", *sys.argv[1:]]
from kpolicy.entry import command
command()
"""


def _process(args: list[str], cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KPOLICY_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_a_lint_process_ends_at_once_as_the_general_end_would(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    tmp_path = tmp_path / "repo"
    tmp_path.mkdir()
    (tmp_path / "a.yaml").write_text(MANIFESTS)
    (tmp_path / "b.yaml").write_text(MANIFESTS.replace("web", "api"))
    for path in (tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path):
        os.utime(path, (1_700_000_000, 1_700_000_000))  # older than the cache's racy window
    for fmt in ("json", "text", "sarif"):
        args = ["lint", "--format", fmt, "--show-suppressed", "."]
        general = cli(*args, "--no-cache", cwd=tmp_path)
        assert general.returncode == 1, general.stderr
        assert not lifetime.keeping()  # a call in this process keeps nothing, ends nothing
        for run in ("first", "replayed"):
            done = _process(args, tmp_path, cache)
            assert done.stdout == general.stdout, (fmt, run)
            assert done.returncode == 1
            # the fast end: atexit's functions ran, then os._exit with the exit code; a
            # replay (of the entry the first process wrote before it ended) ends so too
            how = "run" if run == "first" else "replay"
            assert done.stderr.endswith(f"@@atexit\n@@_exit 1 {how}\n"), (run, done.stderr)
        assert done.stderr.replace("@@atexit\n@@_exit 1 replay\n", "") == general.stderr


def test_other_commands_and_a_clean_lint_end_as_they_did(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    done = _process(["lint", "--no-cache", "a.yaml"], tmp_path, tmp_path / "cache")
    assert done.returncode == 0
    assert done.stderr.endswith("@@atexit\n@@_exit 0 run\n")
    done = _process(["rules", "--format", "json"], tmp_path, tmp_path / "cache")
    assert done.returncode == 0
    assert "@@_exit" not in done.stderr  # typer's commands end as Python ends
    assert done.stderr == "@@atexit\n"
