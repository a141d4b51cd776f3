"""kpolicy's benchmark: kpolicy lint against the YAML parser's own speed, in one run.

    python benchmarks/bench.py [FOLDER] [--scale 20] [--runs 15] [--scale-runs 3] [--no-editor]

Builds the 1x input (FOLDER, default ../shared/corpus when present, else examples/), an Nx
input (N copies of it, names changed so that nothing is deduplicated), and from the 1x input a
corpus with many findings per object (``fuzzcorpus.py``: wrong enums, bad names, wrong types in
every object, as API fuzz tests make theirs; at least one finding per 5 lines) with its
unmutated twin written the same way, all in a temporary folder. Then it times, each as a whole
cold process (kpolicy as the installed ``kpolicy`` command, as pre-commit and CI start it; see
``installed_command``):

- the floor: PyYAML's C composer (``yaml.compose_all`` with CSafeLoader) over the same files;
- ``kpolicy lint --format json --no-cache .`` with every default rule and schema validation, in
  each input's folder (as a project's owners run it: the working folder is the project, which
  kpolicy reads around the inputs, e.g. for the charts of rendered Helm output; the floor and
  kpolicy run in turn, so that a slower minute of a shared machine falls on both); time per
  finding is the many-findings run less its twin's, per extra finding (less the floor's own
  difference between the two);
- a second, cached ``kpolicy lint`` on the unchanged 1x input;
- start-up: ``kpolicy lint`` on one small Deployment file, against the floor on that file
  (``import yaml`` and composing it);
- the editor (``lsp_bench.py``): first diagnostics after an edit of a 1,000-line file, and a
  hover, in the running language server.

It prints documents per second, the ratio to the floor, peak memory, time per finding, and
each target of issue 20 as met or not met. Peak memory is the largest
resident set of one process (``ru_maxrss`` from ``wait4``: kpolicy or one of its workers) and,
on Linux, the peak of the proportional set size (PSS) summed over kpolicy and its workers,
sampled every 20 ms in one extra, untimed run (the sampler's own reads of /proc would take CPU
from the timed runs): forked workers share most pages with their parent, and PSS counts a
shared page once, split among the processes that share it. The target is checked on the larger
of the two. kpolicy's bytecode is written first, as pip does when it installs a package. Absolute
figures drift on shared machines; judge by the ratio measured in the same run, and by the
machine's load average, printed before and after. No test asserts on these numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fuzzcorpus import generate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
SUFFIXES = (".yaml", ".yml", ".json")

FLOOR = """
import os, sys, yaml
count = 0
for top in sys.argv[1:]:
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.endswith((".yaml", ".yml", ".json")):
                continue
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                text = f.read()
            try:
                for node in yaml.compose_all(text, Loader=yaml.CSafeLoader):
                    count += node is not None
            except yaml.YAMLError:
                pass
print(count)
"""


def manifests(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and p.is_file())


def build_input(source: Path, scale: int, target: Path) -> Path:
    """``scale`` copies of every manifest of ``source`` under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    files = manifests(source)
    for copy in range(scale):
        out = target / f"copy{copy:03d}"
        out.mkdir(exist_ok=True)
        for path in files:
            rel = path.relative_to(source)
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            # files in a repository are not seconds old: a file modified within the last two
            # seconds is never recorded in kpolicy's cache (it could change again unseen)
            os.utime(dest, (time.time() - 3600, time.time() - 3600))
    return target


def _tree_pss_kib(root: int) -> int:
    """Proportional set size of ``root`` and its descendants (KiB), from /proc: pages shared by
    forked workers count once in total, divided among them. 0 where /proc is absent."""
    try:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
    except OSError:
        return 0
    total = 0
    counted: list[int] = []
    for pid in parents:
        ancestor = pid
        while ancestor > 1 and ancestor != root:
            ancestor = parents.get(ancestor, 0)
        if ancestor != root:
            continue
        # kpolicy's helper that unmaps its memory once it ended (kpolicy._cload
        # hand_off_teardown) shares that memory for the moment before it ends: counted once
        if any(_same_memory(pid, other) for other in counted):
            continue
        counted.append(pid)
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


# kcmp(2)'s number where known (x86-64, arm64), and its KCMP_VM
_KCMP = {"x86_64": 312, "aarch64": 272}
_KCMP_VM = 1


def _same_memory(pid: int, other: int) -> bool:
    """Whether the processes ``pid`` and ``other`` share one address space (kcmp's KCMP_VM);
    False where that cannot be told."""
    import ctypes
    import platform

    number = _KCMP.get(platform.machine())
    if number is None:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.syscall(number, pid, other, _KCMP_VM, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process tree until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.02):
            self.peak = max(self.peak, _tree_pss_kib(self.pid))


LAST_TREE_PEAK = [0]


def timed(cmd: list[str], cwd: Path, sample: bool = False) -> tuple[float, int, str]:
    """Wall time, peak RSS of the largest process (KiB, from wait4) and its stdout; with
    ``sample``, also the peak PSS of its process tree (in LAST_TREE_PEAK)."""
    LAST_TREE_PEAK[0] = 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        sampler = TreeSampler(child.pid) if sample and sys.platform == "linux" else None
        if sampler is not None:
            sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        if sampler is not None:
            sampler.halt.set()
            sampler.join()
            LAST_TREE_PEAK[0] = sampler.peak
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if child.returncode > 1:
            stderr = err.read().decode("utf-8", "replace")
            raise SystemExit(f"{' '.join(cmd)} failed ({child.returncode}):\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss, stdout


def median_time(cmd: list[str], cwd: Path, runs: int) -> float:
    """The median wall time of ``runs`` runs."""
    return statistics.median(timed(cmd, cwd)[0] for _ in range(runs))


def paired(
    floor_cmd: list[str],
    lint_cmd: list[str],
    cwd: Path,
    runs: int,
    memory: bool = False,
    lint_cwd: Path | None = None,
) -> tuple[tuple[float, str], tuple[float, int, str], str]:
    """The floor and kpolicy run in turn, ``runs`` times each (floor, kpolicy, floor, ...), so
    that a slower minute of a shared machine falls on both alike; the median of each, kpolicy's
    largest peak RSS (with ``memory``, one more run samples the process tree's PSS; that run is
    not timed: the sampler reads /proc every 20 ms, and on a machine with two cores it would
    take CPU from a kpolicy that uses both),
    each one's stdout, and the spread of the ratios of the pairs. kpolicy runs in ``lint_cwd``
    when given: the project's own folder, as its owners run it."""
    lint_cwd = lint_cwd or cwd
    floors: list[float] = []
    lints: list[float] = []
    rss = 0
    floor_out = lint_out = ""
    for _ in range(runs):
        took, _, floor_out = timed(floor_cmd, cwd)
        floors.append(took)
        took, peak, lint_out = timed(lint_cmd, lint_cwd)
        lints.append(took)
        rss = max(rss, peak)
    if memory:
        _, peak, _ = timed(lint_cmd, lint_cwd, sample=True)
        rss = max(rss, peak)
    ratios = sorted(lint / floor for floor, lint in zip(floors, lints, strict=True))
    spread = f"pairs {ratios[0]:.2f}-{ratios[-1]:.2f}x"
    return (
        (statistics.median(floors), floor_out),
        (statistics.median(lints), rss, lint_out),
        spread,
    )


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def installed_command() -> list[str]:
    """How kpolicy is started: the ``kpolicy`` command installed beside this interpreter (the
    console script that pre-commit, CI and a shell run), else ``python -m kpolicy``. The
    latter costs ~3 ms more at every start than the command does: the interpreter imports
    ``runpy`` for ``-m``, and with it importlib.util, contextlib, functools and collections,
    which the floor does not pay and a user's ``kpolicy`` does not either."""
    folder = Path(sys.executable).parent
    for name in ("kpolicy", "kpolicy.exe"):
        if (folder / name).is_file():
            return [str(folder / name)]
    return [sys.executable, "-m", "kpolicy"]


COMMAND = installed_command()


def kpolicy_cmd(*args: str) -> list[str]:
    return [
        *COMMAND,
        "lint",
        "--format",
        "json",
        "--fail-on",
        "never",
        *args,
    ]


def supports(flag: str) -> bool:
    out = subprocess.run(kpolicy_cmd("--help"), capture_output=True, text=True)
    return flag in out.stdout


def compile_package() -> None:
    """Write kpolicy's bytecode, as ``pip install`` does for an installed package. An editable
    checkout run under ``PYTHONDONTWRITEBYTECODE=1`` (set on some CI and build machines) would
    otherwise compile every module from source at every start: ~0.1 s that no installed kpolicy
    pays, and that would be counted against it."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("kpolicy")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            compileall.compile_dir(location, quiet=1)


SMALL_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.8.2
          ports: [{name: http, containerPort: 8080}]
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 256Mi}
"""

# issue 20's targets: ratios to the floor measured in the same run
TARGET_RATIO = 1.4  # cold run, 1x and the many-findings corpus
TARGET_RATIO_SCALED = 1.2  # cold run at the scale (20x)
TARGET_STARTUP = 2.5  # start-up on one small Deployment, to the floor's start-up
TARGET_MEMORY_MB = 200  # peak at the scale
TARGET_FIRST_DIAGNOSTICS_MS = 50  # editor: didChange to publishDiagnostics, median
TARGET_HOVER_MS = 20  # editor: a hover, median


def findings(stdout: str) -> int:
    """The number of findings in a ``--format json`` report."""
    try:
        return len(json.loads(stdout)["diagnostics"])
    except (ValueError, KeyError, TypeError):
        return 0


def lines_of(folder: Path) -> int:
    return sum(path.read_bytes().count(b"\n") for path in manifests(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--scale", type=int, default=20)
    # 15: the 1x and many-findings runs take ~0.15 s each on a host whose speed drifts from
    # minute to minute; the median of five pairs moved by +-0.1 of the ratio between runs
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--scale-runs", type=int, default=3, help="runs of the scaled input (each takes seconds)"
    )
    parser.add_argument("--jobs", type=int, help="passed to kpolicy lint --jobs (default: its own)")
    parser.add_argument("--serial", action="store_true", help="also time kpolicy with --jobs 1")
    parser.add_argument("--no-editor", action="store_true", help="skip the language server")
    args = parser.parse_args()
    source = args.folder or (DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else ROOT / "examples")
    no_cache = ["--no-cache"] if supports("--no-cache") else []
    jobs = ["--jobs", str(args.jobs)] if args.jobs is not None and supports("--jobs") else []
    compile_package()
    print(f"load average before: {load_average()}")
    print(f"kpolicy started as: {' '.join(COMMAND)}")
    with tempfile.TemporaryDirectory(prefix="kpolicy-bench-") as tmp:
        work = Path(tmp)
        one = build_input(source, 1, work / "x1")
        many = build_input(source, args.scale, work / f"x{args.scale}")
        fuzzed, plain = work / "fuzzed", work / "plain"
        generate(one, fuzzed, plain)
        print(
            f"input: {source} ({len(list(manifests(one)))} files); scale {args.scale}x; "
            f"many-findings corpus generated from it ({lines_of(fuzzed)} lines); "
            f"{args.runs} runs each ({args.scale_runs} at {args.scale}x), floor and kpolicy in "
            f"turn, median; {os.cpu_count()} cores"
        )
        checks: list[tuple[str, bool]] = []
        variants = [("", jobs)] + ([("serial ", ["--jobs", "1"])] if args.serial else [])
        results: dict[str, tuple[float, float, int, int]] = {}  # label: floor, lint, found, mem
        inputs = (
            ("1x", one, False),
            ("many-findings", fuzzed, False),
            ("few-findings", plain, False),
            (f"{args.scale}x", many, True),
        )
        for label, folder, measure_memory in inputs:
            runs = args.scale_runs if measure_memory else args.runs
            for variant, extra in variants:
                (floor_t, count), (lint_t, lint_mem, out), spread = paired(
                    [sys.executable, "-c", FLOOR, str(folder)],
                    kpolicy_cmd(*no_cache, *extra, "."),
                    work,
                    runs,
                    memory=measure_memory,
                    lint_cwd=folder,
                )
                docs = int(count.strip() or 0)
                tree_mem = LAST_TREE_PEAK[0]
                found = findings(out)
                if not variant:
                    results[label] = (floor_t, lint_t, found, max(lint_mem, tree_mem))
                tree = f"; all processes, PSS {tree_mem / 1024:.0f} MB" if tree_mem else ""
                print(
                    f"{label:>13}: {docs} documents, {found} findings | floor (C composer) "
                    f"{floor_t:.2f}s = {docs / floor_t:,.0f} docs/s | {variant}kpolicy "
                    f"{lint_t:.2f}s = {docs / lint_t:,.0f} docs/s | ratio {lint_t / floor_t:.2f}x ({spread}) "
                    f"| peak RSS {lint_mem / 1024:.0f} MB (largest process{tree})"
                )
        for label, target in (
            ("1x", TARGET_RATIO),
            ("many-findings", TARGET_RATIO),
            (f"{args.scale}x", TARGET_RATIO_SCALED),
        ):
            floor_t, lint_t, _, _ = results[label]
            checks.append(
                (
                    f"{label} cold run <= {target}x the floor ({lint_t / floor_t:.2f}x)",
                    lint_t / floor_t <= target,
                )
            )
        floor_m, lint_m, found_m, _ = results["many-findings"]
        floor_p, lint_p, found_p, _ = results["few-findings"]
        fuzzed_lines = lines_of(fuzzed)
        print(
            f"many-findings corpus: {found_m} findings in {fuzzed_lines} lines "
            f"(one per {fuzzed_lines / max(found_m, 1):.1f} lines)"
        )
        checks.append(
            ("many-findings corpus has >= 1 finding per 5 lines", found_m * 5 >= fuzzed_lines)
        )
        if found_m > found_p:
            # the same documents, written the same way; what the floor takes longer on the
            # fuzzed files (they differ in length) is not counted against the findings
            extra_t = (lint_m - lint_p) - (floor_m - floor_p)
            per = extra_t / (found_m - found_p)
            print(
                f"time per finding: {per * 1e6:.0f} µs ({found_m - found_p} more findings cost "
                f"{extra_t:.2f}s, the floor's own difference taken out)"
            )
        peak = results[f"{args.scale}x"][3]
        print(f"peak memory at {args.scale}x: {peak / 1024:.0f} MB")
        checks.append(
            (f"{args.scale}x peak memory <= {TARGET_MEMORY_MB} MB", peak <= TARGET_MEMORY_MB * 1024)
        )
        cold_t = results["1x"][1]
        if no_cache:
            timed(kpolicy_cmd(*jobs, "."), one)  # fills the cache
            # a run of ~15 ms: more of them for a steady median
            cached_t = median_time(kpolicy_cmd(*jobs, "."), one, max(args.runs * 3, 15))
            print(
                f"cached second run (1x): {cached_t:.3f}s = {cached_t / cold_t:.2f} of the cold run"
            )
            if COMMAND[0] != sys.executable:  # for comparison: the same through runpy
                module_t = median_time(
                    [sys.executable, "-m", "kpolicy", *kpolicy_cmd(*jobs, ".")[1:]],
                    one,
                    max(args.runs * 3, 15),
                )
                print(f"  (as python -m kpolicy: {module_t:.3f}s = {module_t / cold_t:.2f})")
            checks.append(("cached run < 1/10 of the cold run", cached_t < cold_t / 10))
        small = work / "small" / "deployment.yaml"
        small.parent.mkdir()
        small.write_text(SMALL_DEPLOYMENT, encoding="utf-8")
        (floor_start, _), (start_t, _, _), spread = paired(
            [sys.executable, "-c", FLOOR, str(small)],
            [*kpolicy_cmd(*no_cache), small.name],
            work,
            max(args.runs * 3, 15),
            lint_cwd=small.parent,
        )
        print(
            f"start-up (one small Deployment, no cache): {start_t * 1000:.0f} ms; floor "
            f"(import yaml, compose it) {floor_start * 1000:.0f} ms; "
            f"ratio {start_t / floor_start:.2f}x ({spread})"
        )
        checks.append(
            (
                f"start-up <= {TARGET_STARTUP}x the floor's ({start_t / floor_start:.2f}x)",
                start_t / floor_start <= TARGET_STARTUP,
            )
        )
        if not args.no_editor:
            checks.extend(editor_checks())
        print(f"load average after: {load_average()}")
        for name, passed in checks:
            print(f"  [{'met' if passed else 'NOT met'}] {name}")


def editor_checks() -> list[tuple[str, bool]]:
    """The language server's first diagnostics after an edit and its hover, on the 1,000-line
    file of ``lsp_bench.py``."""
    import asyncio

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import lsp_bench

    result = asyncio.run(lsp_bench.measure(1000, 15, None))
    change = statistics.median(result.times) * 1000
    hover = statistics.median(result.hovers) * 1000
    print(
        f"editor, {result.lines}-line file: didChange → publishDiagnostics median {change:.0f} ms; "
        f"hover median {hover:.1f} ms"
    )
    return [
        (
            f"editor: first diagnostics after an edit <= {TARGET_FIRST_DIAGNOSTICS_MS} ms ({change:.0f})",
            change <= TARGET_FIRST_DIAGNOSTICS_MS,
        ),
        (f"editor: hover <= {TARGET_HOVER_MS} ms ({hover:.1f})", hover <= TARGET_HOVER_MS),
    ]


if __name__ == "__main__":
    main()
