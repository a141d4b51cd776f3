"""A one-shot kpolicy process hands the unmapping of its memory to a helper as it ends
(kpolicy.lifetime.hand_off_teardown, kpolicy._cload.hand_off_teardown): the helper holds none
of the process's descriptors (a reader of its output sees the end as before), ends once the
process has ended, and is made by the lint command's own process only."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import run_python

try:
    from kpolicy import _cload
except ImportError:  # pragma: no cover - a build without the C extension
    _cload = None

needs_c = pytest.mark.skipif(
    _cload is None or not sys.platform.startswith("linux"),
    reason="the C extension is not built, or not on Linux (no clone)",
)

ROOT = Path(__file__).resolve().parent.parent

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


def _gone(pid: int) -> bool:
    """Whether the process ``pid`` ended (gone, or a zombie: its memory freed) within 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                state = handle.read().rpartition(b")")[2].split()[0]
        except OSError:
            return True
        if state in (b"Z", b"X"):
            return True
        time.sleep(0.01)
    return False


@needs_c
def test_the_helper_holds_no_descriptor_and_ends_after_the_process(tmp_path: Path) -> None:
    """Every descriptor of the process is closed as it hands off (its output's reader sees the
    end: the run below returns), the helper holds only its pipe, and ends once the process did."""
    told = tmp_path / "told"
    probe = (
        "import os, sys, time\n"
        "from kpolicy import _cload\n"
        "big = bytearray(8 << 20)  # memory for the helper to unmap\n"
        "print('before', flush=True)\n"
        "pid = _cload.hand_off_teardown()\n"
        "again = _cload.hand_off_teardown()  # one helper a process\n"
        "try:\n"
        "    os.fstat(1)\n"
        "    closed = False\n"
        "except OSError:\n"
        "    closed = True\n"
        "deadline = time.monotonic() + 30  # it closes the pipe's writing end as it starts\n"
        "while len(os.listdir(f'/proc/{pid}/fd')) > 1 and time.monotonic() < deadline:\n"
        "    time.sleep(0.001)\n"
        "held = sorted(os.listdir(f'/proc/{pid}/fd'))\n"
        f"with open({str(told)!r}, 'w') as handle:\n"
        "    handle.write(f'{pid} {again} {closed} {len(held)}')\n"
        "os._exit(7)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "KPOLICY_PURE_PYTHON"},
        timeout=120,
    )
    assert done.returncode == 7 and done.stdout == "before\n", done.stderr
    pid, again, closed, held = told.read_text().split()
    assert int(pid) > 0 and again == pid
    assert closed == "True" and held == "1"  # its pipe's reading end alone
    assert _gone(int(pid))


@needs_c
def test_the_helper_leaves_the_working_folder(tmp_path: Path) -> None:
    """The helper, which may outlive the process a moment (at the idle priority), works in
    "/", not in kpolicy's working folder: a caller that unmounts the linted repository right
    after kpolicy ended would find its file system busy."""
    told = tmp_path / "told"
    probe = (
        "import os, time\n"
        "from kpolicy import _cload\n"
        "pid = _cload.hand_off_teardown()\n"
        "deadline = time.monotonic() + 30  # it leaves the folder as it starts\n"
        "while os.readlink(f'/proc/{pid}/cwd') != '/' and time.monotonic() < deadline:\n"
        "    time.sleep(0.001)\n"
        "where = os.readlink(f'/proc/{pid}/cwd')\n"
        f"with open({str(told)!r}, 'w') as handle:\n"
        "    handle.write(f'{pid} {where}')\n"
        "os._exit(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if k != "KPOLICY_PURE_PYTHON"},
            "PYTHONPATH": str(ROOT),
        },
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    pid, where = told.read_text().split()
    assert int(pid) > 0 and where == "/"
    assert _gone(int(pid))


# a seccomp filter (installed by ctypes) that kills the process at its first close_range, as
# a sandbox's allow-list without that call does (systemd's SystemCallFilter= kills by
# default), then runs a lint in that process
_KILL_CLOSE_RANGE = """\
import ctypes, platform, sys
libc = ctypes.CDLL(None, use_errno=True)
class Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]
class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Filter))]
CLOSE_RANGE = 436  # (the same number on every architecture)
steps = (Filter * 4)(
    Filter(0x20, 0, 0, 0),  # BPF_LD|BPF_W|BPF_ABS: seccomp_data.nr
    Filter(0x15, 0, 1, CLOSE_RANGE),  # BPF_JMP|BPF_JEQ|BPF_K
    Filter(0x06, 0, 0, 0x80000000),  # BPF_RET: SECCOMP_RET_KILL_PROCESS
    Filter(0x06, 0, 0, 0x7FFF0000),  # BPF_RET: SECCOMP_RET_ALLOW
)
program = Program(4, steps)
assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
assert libc.prctl(22, 2, ctypes.byref(program), 0, 0) == 0  # PR_SET_SECCOMP, a filter
from kpolicy import entry
sys.argv = ["kpolicy", "lint", "--no-cache", "--format", "json", "-j", "1", "web.yaml"]
entry.command()
"""


@needs_c
@pytest.mark.skipif(platform.machine() not in ("x86_64", "aarch64"), reason="close_range's number")
def test_a_sandbox_that_kills_close_range_sees_the_lints_exit(tmp_path: Path) -> None:
    """The helper's descriptors are closed without close_range (Linux 5.9; a sandbox whose
    allow-list lacks it kills the process at its first call): the lint exits as it would
    without the hand-off, its report whole, not killed by SIGSYS at its very end."""
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    environ = {k: v for k, v in os.environ.items() if k != "KPOLICY_PURE_PYTHON"}
    environ["PYTHONPATH"] = str(ROOT)
    sandboxed = subprocess.run(
        [sys.executable, "-c", _KILL_CLOSE_RANGE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=120,
    )
    plain = subprocess.run(
        [sys.executable, "-c", _KILL_CLOSE_RANGE.replace("assert libc.prctl(22", "(22")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=120,
    )
    assert plain.returncode in (0, 1) and plain.stdout.startswith("{"), plain.stderr
    assert sandboxed.returncode == plain.returncode, sandboxed.stderr
    assert sandboxed.stdout == plain.stdout


@needs_c
def test_no_helper_under_valgrind() -> None:
    """valgrind refuses a clone() of a process of its own that shares the memory (and ends the
    program): not made where its preloaded library is."""
    out = run_python(
        "from kpolicy import _cload\nprint(_cload.hand_off_teardown())\n",
        LD_PRELOAD="/nonexistent/vgpreload_core-amd64-linux.so",
    )
    assert out.splitlines()[-1] == "0"


@needs_c
def test_a_lint_process_hands_off_its_teardown(tmp_path: Path) -> None:
    """The lint command's own process does, right before it ends (kpolicy.entry._end); a caller
    of the pipeline in its own process (a test, the language server) does not."""
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    probe = (
        "import os, sys\n"
        "from kpolicy import entry, lifetime\n"
        "hand_off = lifetime.hand_off_teardown\n"
        "def told():\n"
        "    made = hand_off()  # every descriptor closed: the news in a file\n"
        "    with open('handed', 'w') as handle:\n"
        "        handle.write(f'handed={made}')\n"
        "    return made\n"
        "lifetime.hand_off_teardown = told\n"
        f"sys.argv = ['kpolicy', 'lint', '--no-cache', {str(tmp_path / 'web.yaml')!r}]\n"
        "if os.environ.get('OWN'):\n"
        "    entry.command()\n"
        "else:\n"
        "    try:\n"
        "        entry.main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    print('called', file=sys.stderr)\n"
    )
    environ = {k: v for k, v in os.environ.items() if k != "KPOLICY_PURE_PYTHON"}
    own = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**environ, "OWN": "1"},
        timeout=120,
    )
    assert own.returncode == 0, own.stderr
    assert (tmp_path / "handed").read_text() == "handed=True"
    (tmp_path / "handed").unlink()
    called = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=120,
    )
    assert "called" in called.stderr and not (tmp_path / "handed").exists(), called.stderr
    assert own.stdout == called.stdout and own.stdout


def test_pure_python_hands_nothing_off() -> None:
    out = run_python(
        "from kpolicy.lifetime import hand_off_teardown\nprint(hand_off_teardown())\n",
        KPOLICY_PURE_PYTHON="1",
    )
    assert out == "False"


@needs_c
def test_no_hand_off_when_the_user_says_so() -> None:
    """KPOLICY_NO_HAND_OFF (an init that never reaps orphans) keeps the teardown in the
    process, which then ends as any process does."""
    environ = {k: v for k, v in os.environ.items() if k != "KPOLICY_PURE_PYTHON"}
    probe = "from kpolicy.lifetime import hand_off_teardown\nprint(hand_off_teardown())\n"
    said = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**environ, "KPOLICY_NO_HAND_OFF": "1"},
        timeout=120,
    )
    assert said.stdout.strip() == "False", said.stderr
