"""kpolicy's benchmark: kpolicy lint against the YAML parser's own speed, in one run.

    python benchmarks/bench.py [FOLDER] [--scale 20] [--runs 3]

Builds the 1x input (FOLDER, default ../shared/corpus when present, else examples/) and an Nx
input (N copies of it, names changed so that nothing is deduplicated), then times, each as a
whole cold process:

- the floor: PyYAML's C composer (``yaml.compose_all`` with CSafeLoader) over the same files;
- ``kpolicy lint --format json --no-cache`` with every default rule and schema validation;
- a second, cached ``kpolicy lint`` on the unchanged 1x input;
- start-up: ``kpolicy lint`` on one small file.

It prints documents per second, the ratio to the floor, peak memory, the cached-run time and
the start-up time, and checks them against the targets of issue 8. Peak memory is the largest
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
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

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
    for pid in parents:
        ancestor = pid
        while ancestor > 1 and ancestor != root:
            ancestor = parents.get(ancestor, 0)
        if ancestor != root:
            continue
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


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


def best(cmd: list[str], cwd: Path, runs: int, memory: bool = False) -> tuple[float, int, str]:
    """The median time of ``runs`` runs and the largest peak RSS; with ``memory``, one more
    run samples the process tree's PSS. That run is not timed: the sampler reads /proc every
    20 ms, and on a machine with two cores it would take CPU from a kpolicy that uses both."""
    results = [timed(cmd, cwd) for _ in range(runs)]
    if memory:
        sampled = timed(cmd, cwd, sample=True)
        results_rss = [*results, sampled]
    else:
        results_rss = results
    times = [r[0] for r in results]
    return statistics.median(times), max(r[1] for r in results_rss), results[-1][2]


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def kpolicy_cmd(*args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kpolicy",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, help="passed to kpolicy lint --jobs (default: its own)")
    parser.add_argument("--serial", action="store_true", help="also time kpolicy with --jobs 1")
    args = parser.parse_args()
    source = args.folder or (DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else ROOT / "examples")
    no_cache = ["--no-cache"] if supports("--no-cache") else []
    jobs = ["--jobs", str(args.jobs)] if args.jobs is not None and supports("--jobs") else []
    compile_package()
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="kpolicy-bench-") as tmp:
        work = Path(tmp)
        one = build_input(source, 1, work / "x1")
        many = build_input(source, args.scale, work / f"x{args.scale}")
        print(
            f"input: {source} ({len(manifests(one))} files); scale {args.scale}x; "
            f"{args.runs} runs each, median; {os.cpu_count()} cores"
        )
        rows = []
        checks: list[tuple[str, bool]] = []
        variants = [("", jobs)] + ([("serial ", ["--jobs", "1"])] if args.serial else [])
        for label, folder in (("1x", one), (f"{args.scale}x", many)):
            floor_t, _, count = best([sys.executable, "-c", FLOOR, str(folder)], work, args.runs)
            docs = int(count.strip() or 0)
            for variant, extra in variants:
                lint_t, lint_mem, _ = best(
                    kpolicy_cmd(*no_cache, *extra, str(folder)), work, args.runs, memory=True
                )
                tree_mem = LAST_TREE_PEAK[0]
                if not variant:
                    rows.append((label, docs, floor_t, lint_t, max(lint_mem, tree_mem)))
                tree = f"; all processes, PSS {tree_mem / 1024:.0f} MB" if tree_mem else ""
                print(
                    f"{label:>4}: {docs} documents | floor (C composer) {floor_t:.2f}s = "
                    f"{docs / floor_t:,.0f} docs/s | {variant}kpolicy {lint_t:.2f}s = "
                    f"{docs / lint_t:,.0f} docs/s | ratio {lint_t / floor_t:.2f}x | peak RSS "
                    f"{lint_mem / 1024:.0f} MB (largest process{tree})"
                )
            checks.append((f"{label} ratio to the floor <= 2", rows[-1][3] / floor_t <= 2))
        if len(rows) == 2:
            per_doc = [r[3] / max(r[1], 1) for r in rows]
            flatness = per_doc[1] / per_doc[0]
            print(f"throughput flatness (time per document, {args.scale}x / 1x): {flatness:.2f}")
            checks.append(
                (f"flat throughput ({args.scale}x per document <= 1.1 x 1x)", flatness <= 1.1)
            )
            checks.append((f"{args.scale}x peak memory < 300 MB", rows[1][4] < 300 * 1024))
        if no_cache:
            timed(kpolicy_cmd(*jobs, str(one)), work)  # fills the cache
            cached_t, _, _ = best(kpolicy_cmd(*jobs, str(one)), work, max(args.runs, 3))
            cold_t = rows[0][3]
            print(
                f"cached second run (1x): {cached_t:.3f}s = {cached_t / cold_t:.2f} of the cold run"
            )
            checks.append(("cached run < 1/10 of the cold run", cached_t < cold_t / 10))
        small = ROOT / "examples" / "web.yaml"
        start_t, _, _ = best([*kpolicy_cmd(*no_cache), str(small)], work, max(args.runs, 5))
        print(f"start-up (one small file): {start_t:.3f}s")
        checks.append(("start-up < 0.3 s", start_t < 0.3))
        print(f"load average after: {load_average()}")
        for name, passed in checks:
            print(f"  [{'met' if passed else 'NOT met'}] {name}")


if __name__ == "__main__":
    main()
