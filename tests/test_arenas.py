"""A one-shot lint process has its heap's arenas made populated (kpolicy.lifetime.populate_arenas,
kpolicy._cload.populate_arenas): installed by the lint command's own process only, and the heap
works as before with it (objects made, freed, made again; a forked worker's too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_python

try:
    from kpolicy import _cload
except ImportError:  # pragma: no cover - a build without the C extension
    _cload = None

needs_c = pytest.mark.skipif(
    _cload is None or not sys.platform.startswith("linux"),
    reason="the C extension is not built, or not on Linux (no MAP_POPULATE)",
)

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""


@needs_c
def test_arenas_are_populated_once_asked_and_the_heap_works() -> None:
    out = run_python(
        "import os\n"
        "from kpolicy import _cload\n"
        "print(_cload.arenas_populated(), _cload.populate_arenas(), _cload.arenas_populated())\n"
        "print(_cload.populate_arenas())  # again: still the same allocator\n"
        "made = [[i, str(i)] for i in range(300_000)]\n"
        "del made[::2]\n"
        "again = [{'k': i} for i in range(300_000)]\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    more = [(i, i) for i in range(200_000)]\n"
        "    os._exit(0 if len(more) == 200_000 and _cload.arenas_populated() else 5)\n"
        "print(os.waitpid(pid, 0)[1], len(made), len(again))\n"
    )
    assert out.split("\n")[:3] == ["False True True", "True", "0 150000 300000"]


@needs_c
def test_a_lint_process_populates_its_arenas(tmp_path: Path) -> None:
    """The lint command's own process asks for it (kpolicy.entry.command); a caller of the
    pipeline in its own process (a test, the language server) does not."""
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    probe = (
        "import os, sys\n"
        "from kpolicy import _cload, entry, lifetime\n"
        "lifetime.hand_off_teardown = lambda: False  # (it closes descriptor 2, written below)\n"
        "end = os._exit\n"
        "def told(code):\n"
        "    os.write(2, f'populated={_cload.arenas_populated()}\\n'.encode())\n"
        "    end(code)\n"
        "os._exit = told\n"
        f"sys.argv = ['kpolicy', 'lint', '--no-cache', {str(tmp_path / 'web.yaml')!r}]\n"
        "if os.environ.get('OWN'):\n"
        "    entry.command()\n"
        "else:\n"
        "    try:\n"
        "        entry.main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    print(f'populated={_cload.arenas_populated()}', file=sys.stderr)\n"
    )
    own = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "OWN": "1", "KPOLICY_PURE_PYTHON": ""},  # (an inherited one: off)
        timeout=120,
    )
    assert "populated=True" in own.stderr, own.stderr
    called = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert "populated=False" in called.stderr, called.stderr


def test_pure_python_leaves_the_allocator_alone() -> None:
    out = run_python(
        "from kpolicy.lifetime import populate_arenas\n"
        "print(populate_arenas())\n"
        "try:\n"
        "    from kpolicy import _cload\n"
        "except ImportError:\n"
        "    print(False)\n"
        "else:\n"
        "    print(_cload.arenas_populated())\n",
        KPOLICY_PURE_PYTHON="1",
    )
    assert out.split() == ["False", "False"]
